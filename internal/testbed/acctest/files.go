package acctest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// The configurations and file checks the acceptance tests of the resources,
// the data sources and the provider share.

// PkgLocation is the ConfigMgr package virtual directory of a DP.
const PkgLocation = "Default Web Site/SMS_DP_SMSPKG$"

// ExtensionConfig is the provider block of tg and one
// iis_request_filtering_extension "test".
func ExtensionConfig(tg Target, ext string, allowed bool, location string) string {
	loc := ""
	if location != "" {
		// The fixtures are not DPs (the ASP.NET one has only the site
		// "www"); the resources' own tests check the site check.
		loc = fmt.Sprintf("  location  = %q\n  allow_missing_site = true\n", location)
	}
	return tg.ProviderBlock() + fmt.Sprintf(`
resource "iis_request_filtering_extension" "test" {
  extension = %q
  allowed   = %t
%s}
`, ext, allowed, loc)
}

// WithProviderArgs adds HCL arguments (`backups = 2`) to the provider "iis"
// block of config, which must hold exactly one: how a test sets an argument
// the target's own provider block leaves out.
func WithProviderArgs(t testing.TB, config string, args ...string) string {
	t.Helper()
	const open = "provider \"iis\" {\n"
	if n := strings.Count(config, open); n != 1 {
		t.Fatalf("%d provider \"iis\" blocks to add %q to, want 1:\n%s", n, args, config)
	}
	return strings.Replace(config, open, open+"  "+strings.Join(args, "\n  ")+"\n", 1)
}

// FileChanged asserts the file differs from before by exactly these lines,
// besides the provider's ownership record (which the ownership tests check).
func FileChanged(t *testing.T, tg Target, before []byte, removed, added []string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		r, a := testfixtures.LineDiff(WithoutRecord(t, before), WithoutRecord(t, tg.Read(t)))
		if strings.Join(r, "") != strings.Join(removed, "") || strings.Join(a, "") != strings.Join(added, "") {
			return fmt.Errorf("file changed by\n removed %q\n added   %q\nwant\n removed %q\n added   %q", r, a, removed, added)
		}
		return nil
	}
}

// Restored asserts destroy gave back the file's original bytes.
func Restored(t *testing.T, tg Target, orig []byte) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if now := tg.Read(t); !bytes.Equal(now, orig) {
			r, a := testfixtures.LineDiff(orig, now)
			return fmt.Errorf("destroy did not restore the original bytes: removed %q added %q", r, a)
		}
		return nil
	}
}

// WithoutRecord is b without the provider's ownership record comment.
func WithoutRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := ownership.Render(b, ownership.Record{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// WithLocation returns b with a <location path=...> block appended, in the
// fixtures' style, holding the given lines below <requestFiltering>: the
// location scopes, <remove> and <clear/> that real DPs have and the
// fixtures do not.
func WithLocation(t *testing.T, b []byte, path string, rf ...string) []byte {
	t.Helper()
	lines := []string{`    <location path="` + path + `">`, `        <system.webServer>`, `            <security>`, `                <requestFiltering>`}
	for _, l := range rf {
		lines = append(lines, `                    `+l)
	}
	lines = append(lines, `                </requestFiltering>`, `            </security>`, `        </system.webServer>`, `    </location>`, `</configuration>`)
	i := bytes.LastIndex(b, []byte("</configuration>"))
	if i < 0 {
		t.Fatal("no </configuration>")
	}
	return append(append([]byte{}, b[:i]...), strings.Join(lines, "\r\n")+"\r\n"...)
}

// WithHiddenSegment adds a hidden segment at the server scope with the
// provider's own editor, so that a test can hide a test-only name on any DP.
func WithHiddenSegment(t *testing.T, b []byte, seg string) []byte {
	t.Helper()
	d, err := apphost.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Add(apphost.HiddenSegments(), "", seg, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ReplaceOnce replaces old by repl, failing when old is not there once.
func ReplaceOnce(t *testing.T, b []byte, old, repl string) []byte {
	t.Helper()
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%q occurs %d times", old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(repl), 1)
}
