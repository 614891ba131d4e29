package apphost

import (
	"strings"
	"testing"
)

func TestURLLocation(t *testing.T) {
	cases := []struct{ site, url, want string }{
		{"Default Web Site", "/SMS_DP_SMSPKG$/PKG00012/a.cab", "Default Web Site/SMS_DP_SMSPKG$/PKG00012/a.cab"},
		{"Default Web Site", "SMS_DP_SMSPKG$/PKG00012/", "Default Web Site/SMS_DP_SMSPKG$/PKG00012"},
		{"Default Web Site", "http://dp01.corp.example:80/SMS_DP_SMSPKG$/x.cab?y=1#z", "Default Web Site/SMS_DP_SMSPKG$/x.cab"},
		{"Default Web Site", "/Program%20Files//a.msi", "Default Web Site/Program Files/a.msi"},
		{"/CM Site/", "/", "CM Site"},
		{"Default Web Site", "https://dp01", "Default Web Site"},
	}
	for _, tc := range cases {
		if got := URLLocation(tc.site, tc.url); got != tc.want {
			t.Errorf("URLLocation(%q, %q) = %q, want %q", tc.site, tc.url, got, tc.want)
		}
	}
}

func TestPercentDecode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a%20b", "a b"}, {"a%2520b", "a%20b"}, {"%zz", "%zz"}, {"%2", "%2"}, {"a+b", "a+b"}, {"%C3%BC", "ü"}, {"100%", "100%"}, {"%41%4a%4A", "AJJ"},
	}
	for _, tc := range cases {
		if got := percentDecode(tc.in); got != tc.want {
			t.Errorf("percentDecode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCheck: what request filtering does to ConfigMgr content URLs, on the
// fixtures and on variants with location scopes.
func TestCheck(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	allowConfigInPkg := withLocation(t, asp, pkg, `<fileExtensions><remove fileExtension=".config" /><add fileExtension=".config" allowed="true" /></fileExtensions>`)
	allowlist := withLocation(t, asp, pkg, `<fileExtensions allowUnlisted="false"><add fileExtension=".cab" allowed="true" /></fileExtensions>`)
	strict := withLocation(t, base, pkg, `<requestLimits maxUrl="64" maxQueryString="8" />`)
	strict = []byte(strings.Replace(string(strict), `<requestFiltering>`+"\r\n"+`                    <requestLimits`, `<requestFiltering allowHighBitCharacters="false" allowDoubleEscaping="true">`+"\r\n"+`                    <requestLimits`, 1))

	const osd = "/SMS_DP_SMSPKG$/PKG00012/Tools/OSDResults/OSDResults.exe.config"
	type want struct {
		status, rule, scope string
		def                 bool
		line                int
	}
	allowed := want{}
	cases := []struct {
		name string
		in   []byte
		url  string
		want want
	}{
		{"KB2508665: .config denied at the server scope", asp, osd, want{status: "404.7", rule: ".config", line: 352}},
		{"extensions compare case-insensitively", asp, "/SMS_DP_SMSPKG$/PKG00012/Data/Inventory.MDB", want{status: "404.7", rule: ".mdb", line: 361}},
		{"the extension is the last dot's", asp, "/SMS_DP_SMSPKG$/PKG00012/setup.config.exe", allowed},
		{"bin folder: hidden segment", asp, "/SMS_DP_SMSPKG$/PKG00012/bin/setup.exe", want{status: "404.8", rule: "bin", line: 393}},
		{"hidden segments match any segment, case-insensitively", asp, "/SMS_DP_SMSPKG$/PKG00012/x/APP_DATA/a.cab", want{status: "404.8", rule: "App_Data", line: 398}},
		{"a hidden segment matches whole segments only", asp, "/SMS_DP_SMSPKG$/PKG00012/binaries/a.cab", allowed},
		{"the file name is a segment too", base, "/SMS_DP_SMSPKG$/PKG00012/web.config", want{status: "404.8", rule: "web.config", line: 340}},
		{"the extension decides before the segment", asp, "/SMS_DP_SMSPKG$/PKG00012/web.config", want{status: "404.7", rule: ".config", line: 352}},
		{"Program+Files: double escaping", asp, "/SMS_DP_SMSPKG$/PKG00012/Program+Files/a.msi", want{status: "404.11", rule: "allowDoubleEscaping=false", def: true}},
		{"%20 is a single escape", asp, "/SMS_DP_SMSPKG$/PKG00012/Program%20Files/a.msi", allowed},
		{"%2520 decodes to an escape", asp, "/SMS_DP_SMSPKG$/PKG00012/a%2520b.msi", want{status: "404.11", rule: "allowDoubleEscaping=false", def: true}},
		{"%2B decodes to '+'", asp, "/SMS_DP_SMSPKG$/PKG00012/C%2B%2B/a.msi", want{status: "404.11", rule: "allowDoubleEscaping=false", def: true}},
		{"%25 before non-hex is not an escape", asp, "/SMS_DP_SMSPKG$/PKG00012/100%25zz.msi", allowed},
		{"'+' in the query string is fine", asp, "/SMS_DP_SMSPKG$/PKG00012/a.msi?q=a+b", allowed},
		{"high-bit characters allowed by default", asp, "/SMS_DP_SMSPKG$/PKG00012/Gr%C3%BC%C3%9Fe.txt", allowed},
		{"URL longer than the default maxUrl", asp, "/SMS_DP_SMSPKG$/" + strings.Repeat("a", 4096) + ".cab", want{status: "404.14", rule: "maxUrl=4096", def: true}},
		{"query longer than the default maxQueryString", asp, "/SMS_DP_SMSPKG$/a.cab?" + strings.Repeat("q", 2049), want{status: "404.15", rule: "maxQueryString=2048", def: true}},
		{"a whole URL", asp, "http://dp01.corp.example/SMS_DP_SMSPKG$/PKG00012/bin/a.dll", want{status: "404.8", rule: "bin", line: 393}},
		{"base install: .config is not listed", base, osd, allowed},
		{"location allows .config: remove then add", allowConfigInPkg, osd, allowed},
		{"the location does not reach other sites' paths", allowConfigInPkg, "/Other/OSDResults.exe.config", want{status: "404.7", rule: ".config", line: 352}},
		{"allowlist: listed", allowlist, "/SMS_DP_SMSPKG$/PKG00012/a.cab", allowed},
		{"allowlist: unlisted extension", allowlist, "/SMS_DP_SMSPKG$/PKG00012/a.msi", want{status: "404.7", rule: "allowUnlisted=false", scope: pkg, line: 925}},
		{"allowlist: extensionless is the '.' entry", allowlist, "/SMS_DP_SMSPKG$/PKG00012/", want{status: "404.7", rule: "allowUnlisted=false", scope: pkg, line: 925}},
		{"allowlist: denied entry decides before allowUnlisted", allowlist, "/SMS_DP_SMSPKG$/PKG00012/a.mdb", want{status: "404.7", rule: ".mdb", line: 361}},
		{"maxUrl of the location", strict, "/SMS_DP_SMSPKG$/" + strings.Repeat("a", 60), want{status: "404.14", rule: "maxUrl=64", scope: pkg, line: 782}},
		{"maxQueryString of the location", strict, "/SMS_DP_SMSPKG$/a.cab?123456789", want{status: "404.15", rule: "maxQueryString=8", scope: pkg, line: 782}},
		{"high-bit characters refused by the location", strict, "/SMS_DP_SMSPKG$/Gr%C3%BC%C3%9Fe.txt", want{status: "404.12", rule: "allowHighBitCharacters=false", scope: pkg, line: 781}},
		{"raw high-bit characters too", strict, "/SMS_DP_SMSPKG$/Grüße.txt", want{status: "404.12", rule: "allowHighBitCharacters=false", scope: pkg, line: 781}},
		{"double escaping allowed by the location", strict, "/SMS_DP_SMSPKG$/Program+Files/a.msi", allowed},
		{"but not outside it", strict, "/Program+Files/a.msi", want{status: "404.11", rule: "allowDoubleEscaping=false", def: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := mustParse(t, tc.in).Check("Default Web Site", tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got := want{status: v.Status, rule: v.Rule, scope: v.Scope, def: v.Default, line: v.Line}
			if v.Allowed {
				got = want{}
			}
			if got != tc.want || v.Allowed != (tc.want.status == "") {
				t.Fatalf("Check(%q) = %+v\nwant %+v", tc.url, v, tc.want)
			}
			if !v.Allowed && v.Reason == "" {
				t.Error("a blocked URL needs a reason")
			}
			if v.URL != tc.url || v.Location != URLLocation("Default Web Site", tc.url) {
				t.Errorf("URL %q, location %q", v.URL, v.Location)
			}
		})
	}
}
