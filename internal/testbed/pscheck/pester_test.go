package pscheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Pester tests of the remote scripts (tests/pester) only run where
// PowerShell is; here they are syntax checked like the scripts themselves.
// Every .ps1 file under tests/ is checked, so a new one needs no listing.
func TestPesterTestsParse(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{}
	err = filepath.WalkDir(filepath.Join(root, "tests"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".ps1") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		scripts[strings.NewReplacer("/", "_", `\`, "_", ".", "_").Replace(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tests_pester_ReadScript_Tests_ps1", "tests_pester_WriteScript_Tests_ps1", "tests_pester_TestHelpers_ps1"} {
		if _, ok := scripts[want]; !ok {
			t.Fatalf("%s not found under tests/ (found %d scripts)", want, len(scripts))
		}
	}
	Check(t, scripts)
}
