// Package testenv tells tests what the machine they run on provides. A test
// that needs a tool the project installs (make test installs them all) skips
// without it on a developer's machine, and fails in CI, where a skip would
// hide a missing install step behind a green run.
package testenv

import (
	"os"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI (CI set, and not "false" or "0").
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// Missing ends a test that cannot run because something is not installed:
// a skip outside CI, a failure in CI. why says what is missing and how to
// install it.
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s; CI=true, so this test must run: make test installs what it needs", why)
	}
	t.Skip(why)
}
