package remotefile_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// hostRunner runs commands on a simulated host directly, without WinRM.
type hostRunner struct {
	host     *dpsim.Host
	commands int
	// before, when set, runs before each command with its number (from 1).
	before func(n int)
}

func (r *hostRunner) RunPowerShell(_ context.Context, script string, stdin []byte) (remotefile.Output, error) {
	r.commands++
	if r.before != nil {
		r.before(r.commands)
	}
	line, err := pscmd.Encode(script)
	if err != nil {
		return remotefile.Output{}, err
	}
	out, errOut, code := r.host.Run(line, stdin)
	return remotefile.Output{Stdout: out, Stderr: errOut, ExitCode: code}, nil
}

func contentHost(t *testing.T, library string) *hostRunner {
	t.Helper()
	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	h, err := dpsim.NewHostWith(file, dpsim.HostOptions{ContentLibrary: library})
	if err != nil {
		t.Fatal(err)
	}
	return &hostRunner{host: h}
}

func files(lib *remotefile.ContentLibrary, name string) []string {
	for _, c := range lib.Contents {
		if c.Name == name {
			return c.Files
		}
	}
	return nil
}

// The scan lists every DataLib content folder and the relative path of each
// of its files (the .INI name minus .INI), with the packages PkgLib names,
// in one command, compressed or not.
func TestListContent(t *testing.T) {
	dir := contentlib.Build(t, contentlib.Standard()...)
	for _, gz := range []bool{true, false} {
		r := contentHost(t, dir)
		c := &remotefile.Client{Runner: r, Host: "dp01", Gzip: gz}
		lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if r.commands != 1 || lib.Commands != 1 {
			t.Errorf("gzip=%v: %d commands, want 1", gz, r.commands)
		}
		if lib.Path != dpsim.DefaultContentLibrary {
			t.Errorf("library %q, want the registry's %q", lib.Path, dpsim.DefaultContentLibrary)
		}
		if len(lib.Contents) != len(contentlib.Standard()) {
			t.Fatalf("%d contents, want %d", len(lib.Contents), len(contentlib.Standard()))
		}
		for _, want := range contentlib.Standard() {
			got := slices.Clone(files(lib, want.Name))
			w := slices.Clone(want.Files)
			slices.Sort(got)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("gzip=%v: %s lists %q, want %q", gz, want.Name, got, w)
			}
			c := remotefile.Content{Name: want.Name}
			if p := lib.PackagesOf(c); !slices.Equal(p, []string{want.Package}) {
				t.Errorf("%s: packages %q, want %q", want.Name, p, want.Package)
			}
		}
		if len(lib.Unreadable) != 0 || len(lib.Missing) != 0 {
			t.Errorf("unreadable %v, missing %v", lib.Unreadable, lib.Missing)
		}
	}
}

// The listing keeps the host's enumeration order, which Windows leaves to
// the file system; the simulator gives NTFS's (names compared upper-cased),
// not Go's byte order, which would put Zeta and _x before alpha.
func TestListContentOrder(t *testing.T) {
	dir := contentlib.Build(t,
		contentlib.Content{Package: "PKG00031", Name: "Zeta.1", Files: []string{`b.txt`, `A.txt`}},
		contentlib.Content{Package: "PKG00032", Name: "_x.1", Files: []string{`x.txt`}},
		contentlib.Content{Package: "PKG00033", Name: "alpha.1", Files: []string{`a.txt`}})
	c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01"}
	lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ct := range lib.Contents {
		got = append(got, ct.Name+":"+strings.Join(ct.Files, ","))
	}
	if want := []string{"alpha.1:a.txt", "Zeta.1:A.txt,b.txt", "_x.1:x.txt"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want NTFS order %q", got, want)
	}
}

// A PkgLib .INI is read whatever its encoding says in its byte order mark,
// as [IO.File]::ReadAllLines reads it (UTF-8 without a mark): ConfigMgr's
// own are UTF-16 (the Pester test writes them so).
func TestListContentPkgLibEncodings(t *testing.T) {
	body := "[General]\r\nName=x\r\n[Packages]\r\nPKG00016=\r\n"
	utf16 := func(bigEndian bool) []byte {
		out := []byte{0xFF, 0xFE}
		if bigEndian {
			out = []byte{0xFE, 0xFF}
		}
		for _, r := range body { // ASCII: one code unit a character
			if bigEndian {
				out = append(out, 0, byte(r))
			} else {
				out = append(out, byte(r), 0)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"UTF-8", []byte(body)},
		{"UTF-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, body...)},
		{"UTF-16LE", utf16(false)},
		{"UTF-16BE", utf16(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := contentlib.Build(t, contentlib.Clean)
			if err := os.WriteFile(filepath.Join(dir, "PkgLib", contentlib.Clean.Package+".INI"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01"}
			lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(lib.Contents) != 1 {
				t.Fatalf("%d contents", len(lib.Contents))
			}
			if p := lib.PackagesOf(lib.Contents[0]); !slices.Equal(p, []string{contentlib.Clean.Package}) {
				t.Errorf("packages %q, want %q", p, contentlib.Clean.Package)
			}
		})
	}
}

// content_ids restricts the scan: by package ID (through PkgLib, for an
// application whose content ID is a GUID), by content ID, by folder name;
// an ID found nowhere is reported, not fatal.
func TestListContentRestricted(t *testing.T) {
	dir := contentlib.Build(t, contentlib.Standard()...)
	c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01", Gzip: true}
	for _, tc := range []struct {
		ids, want, missing []string
	}{
		{[]string{"PKG00020"}, []string{contentlib.DotNetApp.Name}, nil},
		{[]string{"pkg00012"}, []string{contentlib.OSDResults.Name}, nil},
		{[]string{"PKG00013.2", "PKG00099"}, []string{contentlib.AccessDB.Name}, []string{"PKG00099"}},
		{[]string{"Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c"}, []string{contentlib.DotNetApp.Name}, nil},
	} {
		lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{IDs: tc.ids})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range lib.Contents {
			got = append(got, c.Name)
		}
		if !slices.Equal(got, tc.want) || !slices.Equal(lib.Missing, tc.missing) {
			t.Errorf("%q: contents %q missing %q, want %q and %q", tc.ids, got, lib.Missing, tc.want, tc.missing)
		}
	}
}

// A library too big for one command's budget is listed over several, each
// asking for the folders the last one left; nothing is lost or doubled,
// and only the first command reads PkgLib (made unreadable after it: a
// follow-up that read it again would report it).
func TestListContentContinues(t *testing.T) {
	dir := t.TempDir()
	if err := contentlib.Synthetic(dir, 600, 50); err != nil {
		t.Fatal(err)
	}
	r := contentHost(t, dir)
	r.before = func(n int) {
		if n == 2 {
			deny(t, filepath.Join(dir, "PkgLib"))
		}
	}
	c := &remotefile.Client{Runner: r, Host: "dp01", Gzip: true}
	lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{MaxBytes: 4000})
	if err != nil {
		t.Fatal(err)
	}
	n, names := 0, map[string]bool{}
	for _, c := range lib.Contents {
		n += len(c.Files)
		if names[c.Name] {
			t.Errorf("%s listed twice", c.Name)
		}
		names[c.Name] = true
	}
	if n != 600 || len(names) != 12 {
		t.Errorf("%d files in %d contents, want 600 in 12", n, len(names))
	}
	if r.commands < 3 || r.commands != lib.Commands {
		t.Errorf("%d commands (lib says %d), want several", r.commands, lib.Commands)
	}
	if len(lib.Unreadable) != 0 {
		t.Errorf("a follow-up command read PkgLib again: %v", lib.Unreadable)
	}
	for _, ct := range lib.Contents {
		if p := lib.PackagesOf(ct); len(p) != 1 || p[0] != ct.ID() {
			t.Errorf("%s: packages %q, want %q from the first command's PkgLib", ct.Name, p, ct.ID())
		}
	}
}

// A host that is no DP, a library whose DataLib is gone or denied: a
// clear error with its code, naming the host and the registry value. A
// subfolder or PkgLib file that cannot be read is reported and skipped.
func TestListContentFailures(t *testing.T) {
	t.Run("not a DP", func(t *testing.T) {
		c := &remotefile.Client{Runner: contentHost(t, ""), Host: "dp01", Gzip: true}
		_, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
		if !remotefile.IsCode(err, remotefile.CodeNotADP) || !strings.Contains(err.Error(), "dp01") || !strings.Contains(err.Error(), `HKLM\SOFTWARE\Microsoft\SMS\DP`) ||
			!strings.Contains(err.Error(), "point host at a ConfigMgr distribution point") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no DataLib", func(t *testing.T) {
		dir := t.TempDir()
		c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01", Gzip: true}
		_, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
		if !remotefile.IsCode(err, remotefile.CodeNotFound) || !strings.Contains(err.Error(), `D:\SCCMContentLib\DataLib`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("DataLib denied", func(t *testing.T) {
		dir := contentlib.Build(t, contentlib.Clean)
		deny(t, filepath.Join(dir, "DataLib"))
		c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01", Gzip: true}
		_, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
		// The hint is the content library's, not applicationHost.config's.
		if !remotefile.IsCode(err, remotefile.CodeAccessDenied) || !strings.Contains(err.Error(), "Access to the path") ||
			!strings.Contains(err.Error(), "read access to the content library") || strings.Contains(err.Error(), "Modify rights") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("partly unreadable", func(t *testing.T) {
		dir := contentlib.Build(t, contentlib.OSDResults, contentlib.DotNetApp)
		deny(t, filepath.Join(dir, "DataLib", contentlib.DotNetApp.Name, "WebApp"))
		deny(t, filepath.Join(dir, "PkgLib", "PKG00012.INI"))
		c := &remotefile.Client{Runner: contentHost(t, dir), Host: "dp01", Gzip: true}
		lib, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
		if err != nil {
			t.Fatal(err)
		}
		want := []remotefile.Unreadable{
			{Path: `D:\SCCMContentLib\PkgLib\PKG00012.INI`, Code: remotefile.CodeAccessDenied, Message: `Access to the path 'D:\SCCMContentLib\PkgLib\PKG00012.INI' is denied.`},
			{Path: `D:\SCCMContentLib\DataLib\` + contentlib.DotNetApp.Name + `\WebApp`, Code: remotefile.CodeAccessDenied, Message: `Access to the path 'D:\SCCMContentLib\DataLib\` + contentlib.DotNetApp.Name + `\WebApp' is denied.`},
		}
		if !slices.Equal(lib.Unreadable, want) {
			t.Errorf("unreadable %+v, want %+v", lib.Unreadable, want)
		}
		if got := files(lib, contentlib.DotNetApp.Name); !slices.Equal(got, []string{"install.cmd"}) {
			t.Errorf("the readable part lists %q", got)
		}
		if got := files(lib, contentlib.OSDResults.Name); len(got) != 3 {
			t.Errorf("OSDResults lists %q", got)
		}
	})
}

// deny takes every permission bit off p, which the simulator reads as an
// ACL that denies the WinRM user (the tests run as root, which ignores the
// bits themselves); the cleanup gives them back so that TempDir can go.
func deny(t *testing.T, p string) {
	t.Helper()
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(p, 0o755) })
}

// A damaged answer is an error, never a silent partial list.
func TestListContentDamaged(t *testing.T) {
	dir := contentlib.Build(t, contentlib.Clean)
	r := contentHost(t, dir)
	c := &remotefile.Client{Runner: damaging{r}, Host: "dp01", Gzip: true}
	_, err := c.ListContent(context.Background(), remotefile.ContentQuery{})
	var e *remotefile.Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("got %v", err)
	}
}

// damaging truncates the payload of every answer.
type damaging struct{ r *hostRunner }

func (d damaging) RunPowerShell(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
	out, err := d.r.RunPowerShell(ctx, script, stdin)
	if len(out.Stdout) > 10 {
		out.Stdout = out.Stdout[:len(out.Stdout)-10]
	}
	return out, err
}

// capture records what would go to the host.
type capture struct{ stdins [][]byte }

func (c *capture) RunPowerShell(_ context.Context, script string, stdin []byte) (remotefile.Output, error) {
	if script != remotefile.Loader {
		return remotefile.Output{}, errors.New("not the constant loader")
	}
	c.stdins = append(c.stdins, stdin)
	return remotefile.Output{ExitCode: 1}, nil
}

// Content IDs built to change the script reach the host only as JSON data.
func TestContentIDsNeverBecomeScript(t *testing.T) {
	hostile := []string{`PKG'; Remove-Item -Recurse C:\; '`, "X`\"$(Stop-Computer)\"", "a\nb", "Content_\u00e9\U0001F600.1"}
	c := &capture{}
	cl := &remotefile.Client{Runner: c, Host: "dp01", Gzip: true}
	_, _ = cl.ListContent(context.Background(), remotefile.ContentQuery{IDs: hostile})
	if len(c.stdins) != 1 {
		t.Fatalf("%d commands", len(c.stdins))
	}
	op, params, _, err := remotefile.DecodeRequest(c.stdins[0])
	if err != nil || op != remotefile.ContentScript {
		t.Fatalf("the command runs another script (%v)", err)
	}
	var got remotefile.ContentParams
	if err := json.Unmarshal(params, &got); err != nil || !slices.Equal(got.ContentIDs, hostile) {
		t.Fatalf("the IDs did not travel as data: %s (%v)", params, err)
	}
	for _, h := range hostile {
		if strings.Contains(op, h) {
			t.Fatalf("%q appears in the script text", h)
		}
	}
}
