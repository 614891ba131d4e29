// Package contentlib builds folders laid out as a distribution point's
// content library (SCCMContentLib) for the simulator: PkgLib with one
// <PackageID>.INI per package, DataLib with a <ContentID>.<Version>.INI and
// a <ContentID>.<Version> folder per content that mirrors the package's
// folders with one <file>.INI per original file. FileLib is left empty: the
// scan never reads it. The .INI bodies follow the shape the public
// descriptions give (a hash per file); nothing reads them but people.
package contentlib

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Content is one content version of a package.
type Content struct {
	Package string   // the package ID PkgLib lists it under, e.g. "PKG00012"
	Name    string   // the DataLib folder, ContentID.Version, e.g. "PKG00012.1"
	Files   []string // relative paths, '\'-separated, as in the package source
}

// The test library's content. Each is a case the issue names.
var (
	// OSDResults is KB2508665's example: MDT's OSDResults ships a .config
	// next to its .exe, which ASP.NET's request filtering denies (404.7).
	OSDResults = Content{Package: "PKG00012", Name: "PKG00012.1", Files: []string{
		`Tools\OSDResults\OSDResults.exe`,
		`Tools\OSDResults\OSDResults.exe.config`,
		`Tools\x64\BDDRUN.exe`,
	}}
	// DotNetApp is an application whose content is a .NET web app: bin\
	// (hidden segment, 404.8) and web.config (.config, 404.7; once allowed,
	// also the hidden segment web.config).
	DotNetApp = Content{Package: "PKG00020", Name: "Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1", Files: []string{
		`WebApp\Default.htm`,
		`WebApp\web.config`,
		`WebApp\bin\WebApp.dll`,
		`install.cmd`,
	}}
	// AccessDB is a package with an Access database (.mdb, 404.7).
	AccessDB = Content{Package: "PKG00013", Name: "PKG00013.2", Files: []string{
		`Data\inventory.mdb`,
		`setup.exe`,
	}}
	// ProgramFilesPlus has a '+' in a folder name: IIS treats it as a
	// double escape (404.11) unless allowDoubleEscaping is true.
	ProgramFilesPlus = Content{Package: "PKG00014", Name: "PKG00014.1", Files: []string{
		`Program Files+\Vendor\setup.msi`,
	}}
	// Deep has a path whose URL is longer than IIS's default maxUrl of
	// 4096 bytes (404.14): sixteen nested folders with long names.
	Deep = Content{Package: "PKG00015", Name: "PKG00015.1", Files: []string{deepPath()}}
	// Clean is content nothing refuses.
	Clean = Content{Package: "PKG00016", Name: "PKG00016.1", Files: []string{`setup.exe`, `Docs\readme.txt`}}
)

// deepPath is 16 folders of 200 characters with spaces (each space is 3
// bytes in the URL) and a file: about 3,300 bytes on disk, 4,400 in the URL.
func deepPath() string {
	seg := strings.Repeat("Deep Folder Name ", 12)[:200]
	parts := make([]string, 0, 17)
	for i := range 16 {
		parts = append(parts, fmt.Sprintf("%02d %s", i, seg[3:]))
	}
	return strings.Join(append(parts, "payload.bin"), `\`)
}

// Standard is every case above.
func Standard() []Content {
	return []Content{OSDResults, DotNetApp, AccessDB, ProgramFilesPlus, Deep, Clean}
}

// Build writes the library into a new folder and returns it.
func Build(t testing.TB, contents ...Content) string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, contents...); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Write lays contents out under dir (which may already hold a library).
func Write(dir string, contents ...Content) error {
	for _, sub := range []string{"PkgLib", "DataLib", "FileLib"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	byPkg := map[string][]string{}
	var order []string
	for _, c := range contents {
		if _, ok := byPkg[c.Package]; !ok {
			order = append(order, c.Package)
		}
		byPkg[c.Package] = append(byPkg[c.Package], c.Name)
		if err := os.WriteFile(filepath.Join(dir, "DataLib", c.Name+".INI"), []byte("[Content]\r\nHash=0\r\n"), 0o644); err != nil {
			return err
		}
		root := filepath.Join(dir, "DataLib", c.Name)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
		for i, f := range c.Files {
			p := filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(f, `\`, "/"))+".INI")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			body := fmt.Sprintf("[File]\r\nSize=%d\r\nHash=%040X\r\n", 1024*(i+1), i+1)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return err
			}
		}
	}
	for _, p := range order {
		var b strings.Builder
		b.WriteString("[Packages]\r\n")
		for _, n := range byPkg[p] {
			// Legacy packages are keyed by content ID without the version,
			// applications with it: the scan must take both (see
			// remotefile/content.go: the format is undocumented).
			key := n
			if !strings.HasPrefix(n, "Content_") {
				key = n[:strings.LastIndexByte(n, '.')]
			}
			b.WriteString(key + "=\r\n")
		}
		if err := os.WriteFile(filepath.Join(dir, "PkgLib", p+".INI"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Synthetic writes SyntheticContents(n, filesPer) under dir.
func Synthetic(dir string, n, filesPer int) error {
	return Write(dir, SyntheticContents(n, filesPer)...)
}

// SyntheticContents is n files spread over packages of filesPer files each,
// in folder trees like real packages' (a few levels, 20 files a folder),
// with names that vary as real ones do (a product word, a build number, a
// hash-like part), so that compression is not flattered by repetition; one
// file in seven is a .config, as in .NET applications.
func SyntheticContents(n, filesPer int) []Content {
	words := []string{"Setup", "Runtime", "Drivers", "Lang", "Plugins", "Help", "Resources", "x64", "x86", "Common", "Tools", "Redist"}
	exts := []string{".dll", ".exe", ".cab", ".msi", ".xml", ".config", ".txt"}
	var contents []Content
	x := uint32(2463534242) // xorshift: the same library every run
	next := func() uint32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x }
	for i := 0; i*filesPer < n; i++ {
		c := Content{Package: fmt.Sprintf("PS1%05X", i), Name: fmt.Sprintf("PS1%05X.%d", i, 1+i%3)}
		for j := 0; j < filesPer && i*filesPer+j < n; j++ {
			r := next()
			c.Files = append(c.Files, fmt.Sprintf(`%s\%s %d.%d\%s_%08x_%d%s`, words[(j/400+i)%len(words)], words[(j/20)%len(words)], 1+j/20%9, r%100,
				words[r%uint32(len(words))], next(), j, exts[j%len(exts)]))
		}
		contents = append(contents, c)
	}
	return contents
}
