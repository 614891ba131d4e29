package datasources

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

func TestContentURL(t *testing.T) {
	for _, tc := range []struct{ vdir, content, rel, want string }{
		{"SMS_DP_SMSPKG$", "PKG00012.1", `Tools\OSDResults\OSDResults.exe.config`, "/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/OSDResults.exe.config"},
		{"SMS_DP_SMSPKG$", "PKG00014.1", `Program Files+\Vendor\setup.msi`, "/SMS_DP_SMSPKG$/PKG00014.1/Program%20Files+/Vendor/setup.msi"},
		{"CCMTOKENAUTH_SMS_DP_SMSPKG$", "X.1", `100%\a?b#c;d.txt`, "/CCMTOKENAUTH_SMS_DP_SMSPKG$/X.1/100%25/a%3Fb%23c%3Bd.txt"},
		{"SMS_DP_SMSPKG$", "X.1", `Réseau\fiché.txt`, "/SMS_DP_SMSPKG$/X.1/R%C3%A9seau/fich%C3%A9.txt"},
	} {
		if got := contentURL(tc.vdir, tc.content, tc.rel); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.rel, got, tc.want)
		}
	}
}

func libraryOf(contents ...contentlib.Content) *remotefile.ContentLibrary {
	lib := &remotefile.ContentLibrary{Path: `D:\SCCMContentLib`, Packages: map[string][]string{}}
	for _, c := range contents {
		lib.Contents = append(lib.Contents, remotefile.Content{Name: c.Name, Files: c.Files})
		lib.Packages[strings.ToLower(c.Name)] = []string{c.Package}
	}
	return lib
}

func parse(t *testing.T, b []byte) *apphost.Doc {
	t.Helper()
	d, err := apphost.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every case of the issue gets the status a client would get, with the
// rule and scope, on ASP.NET's policy; clean files are not listed.
func TestScanContentStatuses(t *testing.T) {
	doc := parse(t, testfixtures.Read(t, testfixtures.ASPNET))
	s, err := scanContent(doc, DefaultSite, []string{"SMS_DP_SMSPKG$"}, libraryOf(contentlib.Standard()...))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range s.refused {
		got = append(got, r.ContentID.ValueString()+" "+r.Path.ValueString()[:min(30, len(r.Path.ValueString()))]+" "+r.StatusCode.ValueString()+" "+r.Rule.ValueString())
	}
	want := []string{
		`PKG00012.1 Tools\OSDResults\OSDResults.ex 404.7 .config`,
		`Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1 WebApp\web.config 404.7 .config`,
		`Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1 WebApp\bin\WebApp.dll 404.8 bin`,
		`PKG00013.2 Data\inventory.mdb 404.7 .mdb`,
		`PKG00014.1 Program Files+\Vendor\setup.ms 404.11 allowDoubleEscaping=false`,
		`PKG00015.1 00 p Folder Name Deep Folder N 404.14 maxUrl=4096`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("refused:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.files != 13 {
		t.Errorf("%d files, want 13", s.files)
	}
	if got := sortedValues(s.extensions); len(got) != 2 || got[0].ValueString() != ".config" || got[1].ValueString() != ".mdb" {
		t.Errorf("extensions %v", got)
	}
	if got := sortedValues(s.segments); len(got) != 2 || got[0].ValueString() != "bin" || got[1].ValueString() != "web.config" {
		t.Errorf("segments %v", got)
	}
	// The defaults no scope sets have no scope; the file's rules do.
	for _, r := range s.refused {
		if def := r.StatusCode.ValueString() == "404.11" || r.StatusCode.ValueString() == "404.14"; def != r.Scope.IsNull() {
			t.Errorf("%s: scope %v", r.Path.ValueString(), r.Scope)
		}
	}
}

// A legacy package is also requested without its version: a <location>
// that refuses only that form is still found; applications have no such form.
func TestScanContentLegacyForm(t *testing.T) {
	var b bytes.Buffer
	b.Write(testfixtures.Read(t, testfixtures.Base))
	src := strings.Replace(b.String(), "</configuration>", `<location path="Default Web Site/SMS_DP_SMSPKG$/PKG00016"><system.webServer><security><requestFiltering>
<fileExtensions><add fileExtension=".txt" allowed="false" /></fileExtensions></requestFiltering></security></system.webServer></location></configuration>`, 1)
	s, err := scanContent(parse(t, []byte(src)), DefaultSite, []string{"SMS_DP_SMSPKG$"}, libraryOf(contentlib.Clean))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.refused) != 1 || s.refused[0].URL.ValueString() != "/SMS_DP_SMSPKG$/PKG00016/Docs/readme.txt" || s.refused[0].Scope.ValueString() != "Default Web Site/SMS_DP_SMSPKG$/PKG00016" {
		t.Errorf("refused %+v", s.refused)
	}
}

// The virtual directories checked are the DP's content ones the site
// declares; none declared: SMS_DP_SMSPKG$ and a warning that says why.
func TestVirtualDirectoriesOfTheSite(t *testing.T) {
	dp := parse(t, []byte(`<configuration><system.applicationHost><sites>
<site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="C:\inetpub\wwwroot" />
<virtualDirectory path="/NOCERT_SMS_DP_SMSPKG$" physicalPath="D:\x" /><virtualDirectory path="/SMS_DP_SMSPKG$" physicalPath="D:\x" />
<virtualDirectory path="/SMS_DP_SMSSIG$" physicalPath="D:\y" /><virtualDirectory path="/CCMTOKENAUTH_SMS_DP_SMSPKG$" physicalPath="D:\x" /></application></site>
</sites></system.applicationHost></configuration>`))
	var m contentModel
	var diags diag.Diagnostics
	got := vdirsOf(&m, dp, "default web site", "dp01", &diags)
	if want := []string{"SMS_DP_SMSPKG$", "CCMTOKENAUTH_SMS_DP_SMSPKG$", "NOCERT_SMS_DP_SMSPKG$"}; !slices.Equal(got, want) || diags.WarningsCount() != 0 {
		t.Errorf("got %q (%v), want %q", got, diags, want)
	}
	got = vdirsOf(&contentModel{}, dp, "Other", "dp01", &diags)
	if !slices.Equal(got, []string{"SMS_DP_SMSPKG$"}) || diags.WarningsCount() != 1 || !strings.Contains(diags[0].Detail(), `The site "Other" in applicationHost.config on dp01 declares none of`) {
		t.Errorf("got %q (%v)", got, diags)
	}
}

// Unreadable parts are warnings, or errors with fail_on_blocked; the list
// is bounded.
func TestReportLibrary(t *testing.T) {
	lib := &remotefile.ContentLibrary{Path: `D:\SCCMContentLib`, Missing: []string{"PKG00099"}}
	for i := range 12 {
		lib.Unreadable = append(lib.Unreadable, remotefile.Unreadable{Path: `D:\SCCMContentLib\DataLib\X.1\d` + string(rune('a'+i)), Code: "access_denied", Message: "Access to the path is denied."})
	}
	for _, failing := range []bool{false, true} {
		var d diag.Diagnostics
		reportLibrary(lib, "dp01", failing, &d)
		if d.HasError() != failing || len(d) != 2 {
			t.Fatalf("failing=%v: %v", failing, d)
		}
		if !strings.Contains(d[0].Detail(), "holds nothing for PKG00099") || !strings.Contains(d[1].Detail(), "… and 2 more") || !strings.Contains(d[1].Detail(), `DataLib\X.1\da (access_denied)`) {
			t.Errorf("%s\n%s", d[0].Detail(), d[1].Detail())
		}
	}
}

// blocked_extensions holds only what the extension resource accepts; the
// rest is named in a warning.
func TestAllowable(t *testing.T) {
	var d diag.Diagnostics
	got := allowable(map[string]string{".config": ".config", ".": ".", ".my ext": ".my ext", ".mdb": ".MDB"}, "dp01", &d)
	if len(got) != 2 || got[".config"] != ".config" || got[".mdb"] != ".MDB" {
		t.Errorf("got %v", got)
	}
	if d.WarningsCount() != 1 || !strings.Contains(d[0].Detail(), `the extensions ".", ".my ext" allowed`) {
		t.Errorf("diagnostics %v", d)
	}
}

// The fail_on_blocked error names each package and content with its files,
// status, rule and scope, five files a content and twenty contents at
// most, and says how many more there are.
func TestContentSummary(t *testing.T) {
	doc := parse(t, testfixtures.Read(t, testfixtures.ASPNET))
	s, err := scanContent(doc, DefaultSite, []string{"SMS_DP_SMSPKG$"}, libraryOf(contentlib.OSDResults, contentlib.ProgramFilesPlus))
	if err != nil {
		t.Fatal(err)
	}
	want := "2 requests for content files on dp01 would be refused by IIS request filtering; clients downloading these packages would fail:\n" +
		"package PKG00012 (content PKG00012.1):\n" +
		"  Tools\\OSDResults\\OSDResults.exe.config: HTTP 404.7 by .config at the server scope\n" +
		"package PKG00014 (content PKG00014.1):\n" +
		"  Program Files+\\Vendor\\setup.msi: HTTP 404.11 by allowDoubleEscaping=false\n" +
		"Allow what the content needs (blocked_extensions with iis_request_filtering_extension, blocked_segments with iis_request_filtering_hidden_segment, " +
		"iis_request_filtering_settings for double escaping and maxUrl), or remove the files from the packages."
	if got := s.summary("dp01"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// A DP declares several content virtual directories: a file the same
	// rule refuses under each is one line, though each URL is a request.
	s, err = scanContent(doc, DefaultSite, []string{"SMS_DP_SMSPKG$", "CCMTOKENAUTH_SMS_DP_SMSPKG$"}, libraryOf(contentlib.OSDResults))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.summary("dp01"); !strings.HasPrefix(got, "2 requests for content files on dp01") ||
		strings.Count(got, `OSDResults.exe.config: HTTP 404.7 by .config at the server scope`) != 1 {
		t.Errorf("a file refused under two virtual directories by the same rule is not one line:\n%s", got)
	}

	// 22 contents of 7 refused files each, one without a package.
	var many []contentlib.Content
	for i := range 22 {
		c := contentlib.Content{Package: fmt.Sprintf("PS1%05d", i), Name: fmt.Sprintf("PS1%05d.1", i)}
		for j := range 7 {
			c.Files = append(c.Files, fmt.Sprintf(`f%d.config`, j))
		}
		many = append(many, c)
	}
	lib := libraryOf(many...)
	delete(lib.Packages, "ps100000.1")
	s, err = scanContent(doc, DefaultSite, []string{"SMS_DP_SMSPKG$"}, lib)
	if err != nil {
		t.Fatal(err)
	}
	got := s.summary("dp01")
	for _, want := range []string{
		"154 requests for content files on dp01",
		"content PS100000.1:\n  f0.config: HTTP 404.7 by .config at the server scope\n",
		"  f4.config: HTTP 404.7 by .config at the server scope\n  … and 2 more\npackage PS100001 (content PS100001.1):\n",
		"package PS100019 (content PS100019.1):\n",
		"… and 2 more packages\nAllow what the content needs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "PS100020") || strings.Contains(got, "f5.config") || strings.Count(got, "\n  … and 2 more\n") != 20 {
		t.Errorf("summary not bounded to 20 contents of 5 files:\n%s", got)
	}
}
