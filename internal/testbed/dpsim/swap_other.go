//go:build !linux

package dpsim

import "os"

// exchange swaps two files. Outside Linux there is no atomic exchange, so
// this is three renames: the simulator still serves, but a concurrent
// outside writer could slip in between (the safety suites run on Linux).
func exchange(a, b string) error {
	tmp := a + ".swap"
	if err := os.Rename(a, tmp); err != nil {
		return err
	}
	if err := os.Rename(b, a); err != nil {
		return err
	}
	return os.Rename(tmp, b)
}
