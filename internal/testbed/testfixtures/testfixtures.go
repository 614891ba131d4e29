// Package testfixtures finds the real applicationHost.config files in
// ../shared/fixtures for tests, and checks they are the files their README
// describes (a changed fixture would make byte assertions meaningless).
package testfixtures

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures, by file name.
const (
	ASPNET = "applicationHost.aspnet-full.config"   // ASP.NET installed: 43 denied extensions
	Base   = "applicationHost.base-noaspnet.config" // base install: self-closing <fileExtensions />
)

// SHA256 of each fixture, from shared/fixtures/README.md.
func wantSHA(name string) string {
	return map[string]string{
		ASPNET: "b34bcf3d3b7f6923133d7c00a9308090f809ab3a90359777247c80db4c84cb6b",
		Base:   "f1df681585d7a7efe2d644c66f0faec3d68064b238e21f1440f4d3b2255b23d0",
	}[name]
}

// Dir returns the fixtures folder: $IIS_FIXTURES, or ../shared/fixtures
// beside the repository root.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("IIS_FIXTURES"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			cand := filepath.Join(dir, "..", "shared", "fixtures")
			if _, err := os.Stat(cand); err != nil {
				t.Fatalf("fixtures not found at %s: set IIS_FIXTURES to the folder holding the applicationHost.config fixtures", cand)
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

// Read returns a fixture's bytes, failing the test if they are not the
// documented file.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	sum := sha256.Sum256(b)
	if got, want := hex.EncodeToString(sum[:]), wantSHA(name); want != "" && got != want {
		t.Fatalf("fixture %s has sha256 %s, want %s: the shared fixture changed", name, got, want)
	}
	return b
}

// Copy writes a fixture to dir/applicationHost.config and returns its path.
func Copy(t testing.TB, name, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "applicationHost.config")
	if err := os.WriteFile(p, Read(t, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// LineDiff strips the lines two files share at the start and the end and
// returns the rest of each: the lines a change removed and added.
func LineDiff(a, b []byte) (removed, added []string) {
	al := strings.SplitAfter(string(a), "\n")
	bl := strings.SplitAfter(string(b), "\n")
	for len(al) > 0 && len(bl) > 0 && al[0] == bl[0] {
		al, bl = al[1:], bl[1:]
	}
	for len(al) > 0 && len(bl) > 0 && al[len(al)-1] == bl[len(bl)-1] {
		al, bl = al[:len(al)-1], bl[:len(bl)-1]
	}
	return al, bl
}

// CRLF ends each line with CRLF, as the fixtures do.
func CRLF(lines ...string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l + "\r\n"
	}
	return out
}

// Report logs a suite's summary line and, when IIS_TEST_REPORT names a
// file, appends it there: `make test` prints that file at the end, since go
// test shows nothing of a passing package.
func Report(t testing.TB, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	if p := os.Getenv("IIS_TEST_REPORT"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("report: %v", err)
			return
		}
		defer f.Close()
		fmt.Fprintln(f, line)
	}
}

// AsDistributionPoint returns a fixture's bytes with the site a ConfigMgr
// distribution point has, "Default Web Site" with the package share
// application /SMS_DP_SMSPKG$, added to <sites> in the file's own style.
// The real fixtures come from other servers (the ASP.NET one serves only
// "www"), and the provider refuses a location whose site is not there.
func AsDistributionPoint(t testing.TB, b []byte) []byte {
	t.Helper()
	const anchor = "<siteDefaults>"
	i := bytes.Index(b, []byte(anchor))
	if i < 0 || bytes.Contains(b, []byte(`<site name="Default Web Site"`)) {
		t.Fatalf("fixture: no <siteDefaults> to add the DP's site before, or it has the site already")
	}
	ls := bytes.LastIndexByte(b[:i], '\n') + 1
	indent := string(b[ls:i])
	nl := "\n"
	if ls >= 2 && b[ls-2] == '\r' {
		nl = "\r\n"
	}
	site := []string{
		`<site name="Default Web Site" id="2">`,
		`    <application path="/" applicationPool="DefaultAppPool">`,
		`        <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />`,
		`    </application>`,
		`    <application path="/SMS_DP_SMSPKG$" applicationPool="SMS Distribution Points Pool">`,
		`        <virtualDirectory path="/" physicalPath="C:\SCCMContentLib" />`,
		`    </application>`,
		`    <bindings>`,
		`        <binding protocol="http" bindingInformation="*:80:" />`,
		`    </bindings>`,
		`</site>`,
	}
	var add bytes.Buffer
	for _, l := range site {
		add.WriteString(indent + l + nl)
	}
	out := append([]byte{}, b[:ls]...)
	out = append(out, add.Bytes()...)
	return append(out, b[ls:]...)
}

// CopyDistributionPoint is Copy of AsDistributionPoint: a fixture served as
// a DP serves it.
func CopyDistributionPoint(t testing.TB, name, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "applicationHost.config")
	if err := os.WriteFile(p, AsDistributionPoint(t, Read(t, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
