package resources_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestAccExtension_badInput: values that cannot be a file extension or a
// location are refused at plan time, before any host is contacted.
func TestAccExtension_badInput(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	cases := []struct {
		ext, loc string
		want     string
	}{
		{"config", "", `does not start with a dot; write ".config"`},
		{"", "", `it is empty`},
		{"*.config", "", `does not start with a dot; write ".config"`},
		{" .config ", "", `starts or ends with white space; write ".config"`},
		{"..config", "", `starts with two dots; write ".config"`},
		{".", "", `characters that cannot be part of a file extension`},
		{".con fig", "", `characters that cannot be part of a file extension`},
		{`.x"y`, "", `characters that cannot be part of a file extension`},
		{".config", "/Default Web Site/", `starts or ends with "/"`},
		{".config", `Default Web Site\\app`, `does not allow in site or folder names`},
		{".config", "Default Web Site/../x", `".." segment`},
		{" .config", "", `starts or ends with white space; write ".config"`},
		{".con\tfig", "", `characters that cannot be part of a file extension`},
		{".a<b", "", `characters that cannot be part of a file extension`},
		{".a&b", "", `characters that cannot be part of a file extension`},
		{".cönfig", "", `characters that cannot be part of a file extension`},
		{"." + strings.Repeat("x", 299), "", `it is 300 characters long`},
		{".config", `Default "Web" Site`, `does not allow in site or folder names`},
		{".config", "Site]]>", `does not allow in site or folder names`},
		{".config", "Default Web Site/", `starts or ends with "/"`},
		{".config", " Default Web Site", `starts or ends with white space`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      acctest.ExtensionConfig(tg, c.ext, true, c.loc),
			ExpectError: acctest.Phrase(c.want),
			PlanOnly:    true,
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps:                    steps,
	})
	if !bytes.Equal(tg.Read(t), orig) {
		t.Fatal("the file changed")
	}
	testfixtures.Report(t, "bad input suite: %d values refused at plan time with a diagnostic, the file untouched", len(cases))
}

// TestAccExtension_fileProblems: a file the provider cannot edit safely gets
// a diagnostic naming the host, the file and the line, and is not written.
func TestAccExtension_fileProblems(t *testing.T) {
	asp := testfixtures.Read(t, testfixtures.ASPNET)
	dup := bytes.Replace(asp, []byte(`<add fileExtension=".config" allowed="false" />`),
		[]byte("<add fileExtension=\".config\" allowed=\"false\" />\r\n                    <add fileExtension=\".Config\" allowed=\"true\" />"), 1)
	dupBIN := bytes.Replace(asp, []byte("</configuration>"), []byte("<location path=\"Default Web Site/SMS_DP_SMSPKG$\">\r\n"+
		"        <system.webServer>\r\n            <security>\r\n                <requestFiltering>\r\n                    <hiddenSegments>\r\n"+
		"                        <add segment=\"BIN\" />\r\n"+
		"                    </hiddenSegments>\r\n                </requestFiltering>\r\n            </security>\r\n        </system.webServer>\r\n"+
		"    </location>\r\n\r\n</configuration>"), 1)
	cases := []struct {
		name    string
		content []byte
		want    *regexp.Regexp
	}{
		{"duplicate entries", dup, acctest.Phrases(`applicationHost.config on 127.0.0.1: line 353: two <add fileExtension=".config"> entries`, "(lines 352 and 353)", "delete one by hand; nothing was written")},
		{"truncated file", asp[:40000], acctest.Phrases(`C:\Windows\System32\inetsrv\config\applicationHost.config on 127.0.0.1: line`, "truncated; nothing was written")},
		{"not XML", []byte("this is not XML at all\r\n"), acctest.Phrases("applicationHost.config on 127.0.0.1:", "not well-formed XML")},
		{"empty file", []byte{}, acctest.Phrases("applicationHost.config on 127.0.0.1: the file is empty; restore it from", "inetpub\\history")},
		{"UTF-16 file", []byte{0xFF, 0xFE, '<', 0, 'c', 0}, acctest.Phrases("the file is UTF-16; IIS writes applicationHost.config as UTF-8")},
		// Someone else's duplicate in another scope: IIS rejects every
		// new version of the file, so the error must say the fault was
		// there before, where, and what to delete; never "apply again".
		{"duplicate entry in another scope", dupBIN, acctest.Phrases(
			`C:\Windows\System32\inetsrv\config\applicationHost.config on 127.0.0.1: the file already held an entry IIS rejects before this change`,
			"applying again cannot succeed until the file is fixed",
			fmt.Sprintf(`line %d: <add segment="BIN"> in <location path="Default Web Site/SMS_DP_SMSPKG$"> duplicates the entry on line %d (in the server scope`,
				lineOf(t, dupBIN, `<add segment="BIN" />`), lineOf(t, dupBIN, `<add segment="bin" />`)),
			"delete one by hand; nothing was written")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := acctest.NewSimTarget(t, testfixtures.ASPNET, c.content)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      acctest.ExtensionConfig(tg, ".config", true, ""),
					ExpectError: c.want,
				}},
			})
			if !bytes.Equal(tg.Read(t), c.content) {
				t.Fatal("the file was written")
			}
		})
	}
}

// TestAccExtension_hostileLocations: legal IIS paths built to break a
// script or the XML ($, backtick, quotes, ;, &, unicode) are data all the
// way: each lands as an escaped attribute, IIS's rules hold, and destroy
// gives back the original bytes.
func TestAccExtension_hostileLocations(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	orig := tg.Read(t)
	locations := []string{
		"Default Web Site/SMS_DP_SMSPKG$",
		"Site$(Remove-Item -Recurse C:)",
		"Site`; Stop-Computer",
		"Site'; exit 0; '",
		"A&B Site",
		"Ünïcødé Site/路径",
	}
	config := tg.ProviderBlock()
	for i, loc := range locations {
		config += fmt.Sprintf("resource \"iis_request_filtering_extension\" \"l%d\" {\n  extension = \".config\"\n  allowed   = true\n  location  = %q\n  allow_missing_site = true\n}\n", i, loc)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					b := tg.Read(t)
					for _, want := range []string{
						`<location path="Site$(Remove-Item -Recurse C:)">`,
						"<location path=\"Site`; Stop-Computer\">",
						`<location path="Site&apos;; exit 0; &apos;">`,
						`<location path="A&amp;B Site">`,
						`<location path="Ünïcødé Site/路径">`,
					} {
						if !bytes.Contains(b, []byte(want)) {
							return fmt.Errorf("missing %s", want)
						}
					}
					return apphost.Validate(b)
				})},
			},
			{
				Config: tg.ProviderBlock(),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					if !bytes.Equal(tg.Read(t), orig) {
						return fmt.Errorf("destroy did not restore the original bytes")
					}
					return nil
				})},
			},
		},
	})
	testfixtures.Report(t, "bad input suite: %d hostile location values applied as data and destroyed to the original bytes", len(locations))
}
