package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The exported files hold the scripts exactly, after a byte order mark.
func TestExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	if err := export(dir); err != nil {
		t.Fatal(err)
	}
	for name, text := range scripts {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, append([]byte("\ufeff"), text...)) {
			t.Errorf("%s: %d bytes, want the %d of the script after a BOM", name, len(b), len(text))
		}
	}
	if len(scripts) < 3 {
		t.Errorf("only %d scripts exported", len(scripts))
	}
}
