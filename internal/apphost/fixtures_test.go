package apphost

import (
	"os"
	"path/filepath"
	"testing"
)

// FixturesDir finds ../shared/fixtures from the repository root, wherever the
// test runs; IIS_FIXTURES overrides it.
func FixturesDir(t testing.TB) string {
	if d := os.Getenv("IIS_FIXTURES"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for {
		cand := filepath.Join(dir, "..", "shared", "fixtures")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(cand); err != nil {
				t.Fatalf("fixtures not found at %s (set IIS_FIXTURES)", cand)
			}
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
