package hostconfig

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// duplicateBIN is a location that hides "BIN" again although the server
// scope already hides "bin": IIS's 500.19 "Cannot add duplicate collection
// entry", written by someone else.
const duplicateBIN = "<location path=\"Default Web Site/SMS_DP_SMSPKG$\">\r\n" +
	"        <system.webServer>\r\n" +
	"            <security>\r\n" +
	"                <requestFiltering>\r\n" +
	"                    <hiddenSegments>\r\n" +
	"                        <add segment=\"BIN\" />\r\n" +
	"                    </hiddenSegments>\r\n" +
	"                </requestFiltering>\r\n" +
	"            </security>\r\n" +
	"        </system.webServer>\r\n" +
	"    </location>\r\n\r\n"

func lineOf(b []byte, s string) int {
	return bytes.Count(b[:bytes.Index(b, []byte(s))], []byte("\n")) + 1
}

// TestFaultBeforeTheEdit: when the file already held a fault IIS rejects,
// the error says so, names the line and what to delete, and never tells the
// user to apply again (which could not succeed); a fault only the edit
// makes says that applying again would fail the same way. The file is
// unchanged in every case.
func TestFaultBeforeTheEdit(t *testing.T) {
	asp := testfixtures.Read(t, testfixtures.ASPNET)
	dup := bytes.Replace(asp, []byte("</configuration>"), []byte(duplicateBIN+"</configuration>"), 1)
	marked := bytes.Replace(asp, []byte("</configuration>"), []byte("<!-- unknown to the provider's model -->\r\n</configuration>"), 1)
	binLine, serverBin := lineOf(dup, `<add segment="BIN" />`), lineOf(dup, `<add segment="bin" />`)
	rejectMarked := func(b []byte) error {
		if bytes.Contains(b, []byte("unknown to the provider's model")) {
			return errors.New("Unrecognized element 'x'")
		}
		return nil
	}
	rejectAllowedConfig := func(b []byte) error {
		if bytes.Contains(b, []byte(`<add fileExtension=".config" allowed="true" />`)) {
			return errors.New("Unrecognized attribute 'allowed'")
		}
		return nil
	}
	cases := []struct {
		name     string
		content  []byte
		validate func([]byte) error // the host's appcmd; nil: IIS's rules
		writes   int64
		want     []string
	}{
		{"duplicate entry the provider can name", dup, nil, 0, []string{
			`C:\Windows\System32\inetsrv\config\applicationHost.config on dp01: the file already held an entry IIS rejects before this change`,
			"applying again cannot succeed until the file is fixed",
			"line " + strconv.Itoa(binLine) + `: <add segment="BIN"> in <location path="Default Web Site/SMS_DP_SMSPKG$"> duplicates the entry on line ` + strconv.Itoa(serverBin) + " (in the server scope",
			"delete one by hand; nothing was written"}},
		{"fault only the host knows", marked, rejectMarked, 1, []string{
			"IIS rejected the new file", "the previous file was put back, and IIS rejects it too",
			"the fault was in the file before this change; the change was not applied, and applying again cannot succeed until the file is fixed",
			`run C:\Windows\System32\inetsrv\appcmd.exe list config -section:system.webServer/security/requestFiltering on dp01 to see what IIS refuses`}},
		{"fault the edit makes", asp, rejectAllowedConfig, 1, []string{
			"IIS rejected the new file", "the previous file was put back",
			"the change was not applied (check the entry against the IIS configuration schema, or report it if the provider wrote it), and applying it again would be refused the same way"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
			if err := os.WriteFile(file, c.content, 0o644); err != nil {
				t.Fatal(err)
			}
			s, r := simStore(t, file, dpsim.HostOptions{Validate: c.validate}, Optimized())
			_, err := s.Update(context.Background(), func(d *apphost.Doc) ([]byte, error) {
				return d.SetFileExtensionAllowed("", ".config", true)
			})
			if err == nil {
				t.Fatal("the update succeeded")
			}
			msg := err.Error()
			rest := msg
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q missing or out of order in:\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(msg, "run terraform apply again") {
				t.Errorf("the message tells the user to apply again, which cannot succeed:\n%s", msg)
			}
			if got := r.host.Ops().Writes; got != c.writes {
				t.Errorf("%d writes reached the host, want %d", got, c.writes)
			}
			if now, _ := os.ReadFile(file); !bytes.Equal(now, c.content) {
				t.Error("the file changed")
			}
		})
	}
}
