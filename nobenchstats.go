//go:build !benchstats || !unix

package main

import "context"

// startBenchStats does nothing in the shipped provider: the figures `make
// bench` reads come from a binary built with -tags benchstats (benchstats.go).
func startBenchStats(context.Context) (stop func()) { return func() {} }
