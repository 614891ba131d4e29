package apphost

import (
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

func TestValidate(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	addLoc := func(b []byte, inner string) []byte {
		return edit(t, b, "\r\n</configuration>", "\r\n    <location path=\"Default Web Site/SMS_DP_SMSPKG$\"><system.webServer><security><requestFiltering><fileExtensions>"+inner+"</fileExtensions></requestFiltering></security></system.webServer></location>\r\n</configuration>")
	}
	cases := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"ASP.NET fixture", asp, ""},
		{"base fixture", base, ""},
		{"location adds what the server has", addLoc(asp, `<add fileExtension=".config" allowed="true" />`), "Cannot add duplicate collection entry of type 'add' with unique key attribute 'fileExtension' set to '.config'"},
		{"location removes first", addLoc(asp, `<remove fileExtension=".config" /><add fileExtension=".config" allowed="true" />`), ""},
		{"location clears first", addLoc(asp, `<clear /><add fileExtension=".config" allowed="true" />`), ""},
		{"nothing inherited", addLoc(base, `<add fileExtension=".config" allowed="true" />`), ""},
		{"duplicate in one scope", edit(t, asp, `<add fileExtension=".cs" allowed="false" />`, `<add fileExtension=".cs" allowed="false" /><add fileExtension=".CS" allowed="true" />`), "set to '.CS'"},
		{"hidden segment twice", edit(t, asp, `<add segment="bin" />`, `<add segment="bin" /><add segment="Bin" />`), "attribute 'segment' set to 'Bin'"},
		{"truncated", asp[:5000], "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.in)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// Every edit the resource makes on the fixtures is one IIS accepts.
func TestEditsPassValidation(t *testing.T) {
	for _, f := range []string{testfixtures.ASPNET, testfixtures.Base} {
		for _, loc := range []string{"", "Default Web Site", "Default Web Site/SMS_DP_SMSPKG$"} {
			for _, ext := range []string{".config", ".mdb", ".tfacc"} {
				out, _, err := mustParse(t, fixture(t, f)).CreateFileExtension(loc, ext, true)
				if err != nil {
					t.Fatal(err)
				}
				if err := Validate(out); err != nil {
					t.Errorf("%s, %q, %s: %v", f, loc, ext, err)
				}
			}
		}
	}
}
