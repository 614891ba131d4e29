// Command psexport writes the PowerShell scripts the provider sends to a
// folder, one .ps1 file each, so that tools outside Go can run them: the
// Pester tests in tests/pester run them on Windows.
//
//	go run ./tools/psexport DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// scripts are the scripts by file name. The loader reads an operation's
// script from stdin; ReadScript and WriteScript take ($req, $payload).
var scripts = map[string]string{
	"Loader.ps1":      remotefile.Loader,
	"ReadScript.ps1":  remotefile.ReadScript,
	"WriteScript.ps1": remotefile.WriteScript,
	// The content library scan (issue 17): tests/pester/ContentScript.Tests.ps1.
	"ContentScript.ps1": remotefile.ContentScript,
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/psexport DIR")
		os.Exit(2)
	}
	if err := export(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "psexport: %v\n", err)
		os.Exit(1)
	}
}

func export(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range scripts {
		// A UTF-8 byte order mark: Windows PowerShell 5.1 reads a .ps1
		// without one in the ANSI code page.
		if err := os.WriteFile(filepath.Join(dir, name), append([]byte("\ufeff"), text...), 0o644); err != nil {
			return err
		}
	}
	return nil
}
