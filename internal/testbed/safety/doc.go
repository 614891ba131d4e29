// Package safety holds the test suites that try to break the provider's
// promise never to lose a user's data: injected faults on the WinRM wire,
// concurrent writers, and hostile input. It has no code of its own; its
// tests print their counts (run `make test`).
package safety
