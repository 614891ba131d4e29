package resources_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

const pkgLocation = "Default Web Site/SMS_DP_SMSPKG$"

// withLocation returns b with a <location path=...> block appended, in the
// fixtures' style, holding the given lines below <requestFiltering>: the
// location scopes, <remove> and <clear/> that real DPs have and the
// fixtures do not.
func withLocation(t *testing.T, b []byte, path string, rf ...string) []byte {
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

// withHiddenSegment adds a hidden segment at the server scope with the
// provider's own editor, so that a test can hide a test-only name on any DP.
func withHiddenSegment(t *testing.T, b []byte, seg string) []byte {
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

// replaceOnce replaces old by repl, failing when old is not there once.
func replaceOnce(t *testing.T, b []byte, old, repl string) []byte {
	t.Helper()
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%q occurs %d times", old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(repl), 1)
}

// withoutRecord is b without the provider's ownership record comment.
func withoutRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := ownership.Render(b, ownership.Record{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
