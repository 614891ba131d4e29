package apphost

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const (
	fixtureASPNET = testfixtures.ASPNET
	fixtureBase   = testfixtures.Base
)

func fixture(t testing.TB, name string) []byte { return testfixtures.Read(t, name) }

func mustParse(t testing.TB, b []byte) *Doc {
	t.Helper()
	d, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestCreateDeleteOnFixtures runs the resource's create and delete on the real
// files: the diff is exactly the intended lines, and delete gives back the
// original bytes.
func TestCreateDeleteOnFixtures(t *testing.T) {
	cases := []struct {
		name, file, location, ext string
		allowed                   bool
		removed, added            []string
		own                       ExtensionOwnership
	}{
		{
			name: "adopt .config at server scope (KB2508665)", file: fixtureASPNET, ext: ".config", allowed: true,
			removed: testfixtures.CRLF(`                    <add fileExtension=".config" allowed="false" />`),
			added:   testfixtures.CRLF(`                    <add fileExtension=".config" allowed="true" />`),
			own:     ExtensionOwnership{Adopted: true, PreviousAllowed: ptr("false")},
		},
		{
			name: "adopt case-insensitively", file: fixtureASPNET, ext: ".MDB", allowed: true,
			removed: testfixtures.CRLF(`                    <add fileExtension=".mdb" allowed="false" />`),
			added:   testfixtures.CRLF(`                    <add fileExtension=".mdb" allowed="true" />`),
			own:     ExtensionOwnership{Adopted: true, PreviousAllowed: ptr("false")},
		},
		{
			name: "add into a self-closing fileExtensions", file: fixtureBase, ext: ".config", allowed: true,
			removed: testfixtures.CRLF(`                <fileExtensions allowUnlisted="true" applyToWebDAV="true" />`),
			added: testfixtures.CRLF(
				`                <fileExtensions allowUnlisted="true" applyToWebDAV="true">`,
				`                    <add fileExtension=".config" allowed="true" />`,
				`                </fileExtensions>`),
		},
		{
			name: "add after the last entry", file: fixtureASPNET, ext: ".nupkg", allowed: false,
			added: testfixtures.CRLF(`                    <add fileExtension=".nupkg" allowed="false" />`),
		},
		{
			name: "existing location without request filtering", file: fixtureBase, location: "Default Web Site", ext: ".config", allowed: true,
			added: testfixtures.CRLF(
				`            <security>`,
				`                <requestFiltering>`,
				`                    <fileExtensions>`,
				`                        <add fileExtension=".config" allowed="true" />`,
				`                    </fileExtensions>`,
				`                </requestFiltering>`,
				`            </security>`),
		},
		{
			name: "new location under a parent with the entry: remove before add", file: fixtureASPNET,
			location: "Default Web Site/SMS_DP_SMSPKG$", ext: ".config", allowed: true,
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering>`,
				`                    <fileExtensions>`,
				`                        <remove fileExtension=".config" />`,
				`                        <add fileExtension=".config" allowed="true" />`,
				`                    </fileExtensions>`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`),
			own: ExtensionOwnership{WroteRemove: true},
		},
		{
			name: "new location, nothing inherited: no remove", file: fixtureBase,
			location: "Default Web Site/SMS_DP_SMSPKG$", ext: ".config", allowed: true,
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering>`,
				`                    <fileExtensions>`,
				`                        <add fileExtension=".config" allowed="true" />`,
				`                    </fileExtensions>`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := fixture(t, tc.file)
			out, own, err := mustParse(t, orig).CreateFileExtension(tc.location, tc.ext, tc.allowed)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			removed, added := testfixtures.LineDiff(orig, out)
			equalLines(t, "removed lines", removed, tc.removed)
			equalLines(t, "added lines", added, tc.added)
			if !ownEqual(own, tc.own) {
				t.Errorf("ownership = %+v, want %+v", own, tc.own)
			}
			rule, err := mustParse(t, out).FileExtension(tc.location, tc.ext)
			if err != nil || rule == nil || rule.Allowed != tc.allowed {
				t.Fatalf("after create, FileExtension = %+v, %v", rule, err)
			}
			back, err := mustParse(t, out).DeleteFileExtension(tc.location, tc.ext, own)
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			if !bytes.Equal(back, orig) {
				r, a := testfixtures.LineDiff(orig, back)
				t.Fatalf("delete did not restore the original bytes: removed %q added %q", r, a)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func ownEqual(a, b ExtensionOwnership) bool {
	return a.Adopted == b.Adopted && a.WroteRemove == b.WroteRemove &&
		(a.PreviousAllowed == nil) == (b.PreviousAllowed == nil) &&
		(a.PreviousAllowed == nil || *a.PreviousAllowed == *b.PreviousAllowed)
}

// TestFileStylePreserved: LF endings, a BOM and tab indentation survive, and
// the inserted lines follow the file's own style.
func TestFileStylePreserved(t *testing.T) {
	base := fixture(t, fixtureBase)
	lf := bytes.ReplaceAll(base, []byte("\r\n"), []byte("\n"))
	bom := append(append([]byte{}, utf8BOM...), base...)
	tabs := bytes.ReplaceAll(lf, []byte("    "), []byte("\t"))
	cases := []struct {
		name  string
		in    []byte
		added []string
	}{
		{"LF", lf, []string{
			"                <fileExtensions allowUnlisted=\"true\" applyToWebDAV=\"true\">\n",
			"                    <add fileExtension=\".config\" allowed=\"true\" />\n",
			"                </fileExtensions>\n"}},
		{"BOM", bom, testfixtures.CRLF(
			`                <fileExtensions allowUnlisted="true" applyToWebDAV="true">`,
			`                    <add fileExtension=".config" allowed="true" />`,
			`                </fileExtensions>`)},
		{"tabs", tabs, []string{
			"\t\t\t\t<fileExtensions allowUnlisted=\"true\" applyToWebDAV=\"true\">\n",
			"\t\t\t\t\t<add fileExtension=\".config\" allowed=\"true\" />\n",
			"\t\t\t\t</fileExtensions>\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, own, err := mustParse(t, tc.in).CreateFileExtension("", ".config", true)
			if err != nil {
				t.Fatal(err)
			}
			_, added := testfixtures.LineDiff(tc.in, out)
			equalLines(t, "added lines", added, tc.added)
			if bytes.HasPrefix(tc.in, utf8BOM) != bytes.HasPrefix(out, utf8BOM) {
				t.Error("BOM not preserved")
			}
			back, err := mustParse(t, out).DeleteFileExtension("", ".config", own)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("delete did not restore the bytes (err %v)", err)
			}
		})
	}
}

// edit replaces old with new in a fixture, failing when old is not there once.
func edit(t *testing.T, b []byte, old, repl string) []byte {
	t.Helper()
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%q occurs %d times in the fixture", old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(repl), 1)
}

func TestScopeRules(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	const cfgLine = `<add fileExtension=".config" allowed="false" />`

	t.Run("clear in the scope: the new entry goes after it", func(t *testing.T) {
		in := edit(t, fixture(t, fixtureBase), `<fileExtensions allowUnlisted="true" applyToWebDAV="true" />`,
			"<fileExtensions allowUnlisted=\"true\" applyToWebDAV=\"true\">\r\n                    <clear />\r\n                </fileExtensions>")
		out, _, err := mustParse(t, in).CreateFileExtension("", ".config", true)
		if err != nil {
			t.Fatal(err)
		}
		_, added := testfixtures.LineDiff(in, out)
		equalLines(t, "added", added, testfixtures.CRLF(`                    <add fileExtension=".config" allowed="true" />`))
		if i, j := bytes.Index(out, []byte("<clear />")), bytes.Index(out, []byte(`<add fileExtension=".config"`)); i < 0 || j < i {
			t.Error("entry is not after <clear />")
		}
	})

	t.Run("location that already removes the key: no second remove", func(t *testing.T) {
		in := edit(t, fixture(t, fixtureBase), "<system.webServer>\r\n            <rewrite>",
			"<system.webServer>\r\n            <security><requestFiltering><fileExtensions><remove fileExtension=\".config\" /></fileExtensions></requestFiltering></security>\r\n            <rewrite>")
		in = edit(t, in, `<fileExtensions allowUnlisted="true" applyToWebDAV="true" />`,
			`<fileExtensions allowUnlisted="true" applyToWebDAV="true"><add fileExtension=".config" allowed="false" /></fileExtensions>`)
		out, own, err := mustParse(t, in).CreateFileExtension("Default Web Site", ".config", true)
		if err != nil {
			t.Fatal(err)
		}
		if own.WroteRemove || bytes.Count(out, []byte(`<remove fileExtension=".config" />`)) != 1 {
			t.Errorf("a second <remove> was written: %+v", own)
		}
		back, err := mustParse(t, out).DeleteFileExtension("Default Web Site", ".config", own)
		if err != nil || !bytes.Equal(back, in) {
			r, a := testfixtures.LineDiff(in, back)
			t.Fatalf("delete did not restore the bytes (err %v): %q %q", err, r, a)
		}
	})

	t.Run("adopted entry without allowed: delete removes the attribute again", func(t *testing.T) {
		in := edit(t, asp, cfgLine, `<add fileExtension=".config" />`)
		d := mustParse(t, in)
		if r, _ := d.FileExtension("", ".config"); r == nil || !r.Allowed {
			t.Fatalf("absent allowed must read as true (the IIS default), got %+v", r)
		}
		out, own, err := d.CreateFileExtension("", ".config", false)
		if err != nil || own.PreviousAllowed != nil || !own.Adopted {
			t.Fatalf("create: %+v %v", own, err)
		}
		_, added := testfixtures.LineDiff(in, out)
		equalLines(t, "added", added, testfixtures.CRLF(`                    <add fileExtension=".config" allowed="false" />`))
		back, err := mustParse(t, out).DeleteFileExtension("", ".config", own)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("delete did not restore the bytes (err %v)", err)
		}
	})

	t.Run("same value: no change at all", func(t *testing.T) {
		out, own, err := mustParse(t, asp).CreateFileExtension("", ".config", false)
		if err != nil || !bytes.Equal(out, asp) || !own.Adopted {
			t.Fatalf("create with the current value changed the file (err %v)", err)
		}
	})

	t.Run("update then delete of an added entry", func(t *testing.T) {
		base := fixture(t, fixtureBase)
		out, own, _ := mustParse(t, base).CreateFileExtension("", ".config", true)
		out2, err := mustParse(t, out).SetFileExtensionAllowed("", ".config", false)
		if err != nil {
			t.Fatal(err)
		}
		r, a := testfixtures.LineDiff(out, out2)
		equalLines(t, "removed", r, testfixtures.CRLF(`                    <add fileExtension=".config" allowed="true" />`))
		equalLines(t, "added", a, testfixtures.CRLF(`                    <add fileExtension=".config" allowed="false" />`))
		back, err := mustParse(t, out2).DeleteFileExtension("", ".config", own)
		if err != nil || !bytes.Equal(back, base) {
			t.Fatalf("delete did not restore the bytes (err %v)", err)
		}
	})
}

func TestRefusals(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	const cfgLine = `<add fileExtension=".config" allowed="false" />`
	cases := []struct {
		name    string
		in      []byte
		wantErr string
		line    int
	}{
		{"duplicate key in one scope", edit(t, asp, cfgLine, cfgLine+"\r\n                    <add fileExtension=\".CONFIG\" allowed=\"true\" />"),
			`(lines 352 and 353)`, 353},
		{"truncated", asp[:len(asp)/2], "truncated", 0},
		{"not XML", []byte("this is not XML"), "not well-formed XML", 0},
		{"empty", []byte("   \r\n"), "empty", 0},
		{"UTF-16", []byte{0xFF, 0xFE, '<', 0}, "UTF-16", 0},
		{"wrong root", []byte(`<?xml version="1.0"?><web />`), "not <configuration>", 0},
		{"mismatched tags", edit(t, asp, "</fileExtensions>", "</fileExtension>"), "not well-formed XML", 389},
		{"bad allowed value", edit(t, asp, cfgLine, `<add fileExtension=".config" allowed="maybe" />`), "allowed must be true or false", 352},
		{"two security elements", edit(t, asp, "<requestFiltering>", "</security><security><requestFiltering>"), "appears twice", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.in)
			if err == nil {
				_, _, err = d.CreateFileExtension("", ".config", true)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.line > 0 && !strings.Contains(err.Error(), "line "+itoa(tc.line)) {
				t.Errorf("error %q does not name line %d", err, tc.line)
			}
			var pe *ParseError
			var se *ScopeError
			if !errors.As(err, &pe) && !errors.As(err, &se) {
				t.Errorf("error is %T, want *ParseError or *ScopeError", err)
			}
		})
	}
}

func itoa(n int) string { return fmt.Sprint(n) }

// Locks bind lower levels (web.config files), not <location> tags in
// applicationHost.config itself, so a locked section is edited like any
// other: minimally, and into a file IIS accepts.
func TestLockedSectionsAreEditedInPlace(t *testing.T) {
	base := fixture(t, fixtureBase)
	cases := []struct {
		name string
		in   []byte
		loc  string
	}{
		{"overrideModeDefault=Deny on the section", edit(t, base, `<section name="requestFiltering" overrideModeDefault="Allow" />`, `<section name="requestFiltering" overrideModeDefault="Deny" />`), "Default Web Site"},
		{"overrideMode=Deny on the location", edit(t, base, `<location path="Default Web Site">`, `<location path="Default Web Site" overrideMode="Deny">`), "Default Web Site"},
		{"lockItem on the server entry", edit(t, fixture(t, fixtureASPNET), `<add fileExtension=".config" allowed="false" />`, `<add fileExtension=".config" allowed="false" lockItem="true" />`), "Default Web Site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, own, err := mustParse(t, tc.in).CreateFileExtension(tc.loc, ".config", true)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(out); err != nil {
				t.Fatal(err)
			}
			if removed, _ := testfixtures.LineDiff(tc.in, out); len(removed) != 0 {
				t.Fatalf("lines changed instead of added: %q", removed)
			}
			back, err := mustParse(t, out).DeleteFileExtension(tc.loc, ".config", own)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("delete did not restore the bytes (%v)", err)
			}
		})
	}
}
