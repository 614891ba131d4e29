//go:build !unix

package provider

import "context"

// StartBenchStats is a no-op where getrusage is not available.
func StartBenchStats(context.Context) (stop func()) { return func() {} }
