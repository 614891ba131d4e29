package resources_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testfixtures"
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
		{"*.config", "", `does not start with a dot`},
		{".", "", `characters that cannot be part of a file extension`},
		{".con fig", "", `characters that cannot be part of a file extension`},
		{`.x"y`, "", `characters that cannot be part of a file extension`},
		{".config", "/Default Web Site/", `starts or ends with "/"`},
		{".config", `Default Web Site\\app`, `does not allow in site or folder names`},
		{".config", "Default Web Site/../x", `".." segment`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      extensionConfig(tg, c.ext, true, c.loc),
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
}

// TestAccExtension_fileProblems: a file the provider cannot edit safely gets
// a diagnostic naming the host, the file and the line, and is not written.
func TestAccExtension_fileProblems(t *testing.T) {
	asp := testfixtures.Read(t, testfixtures.ASPNET)
	dup := bytes.Replace(asp, []byte(`<add fileExtension=".config" allowed="false" />`),
		[]byte("<add fileExtension=\".config\" allowed=\"false\" />\r\n                    <add fileExtension=\".Config\" allowed=\"true\" />"), 1)
	cases := []struct {
		name    string
		content []byte
		want    *regexp.Regexp
	}{
		{"duplicate entries", dup, acctest.Phrases(`applicationHost.config on 127.0.0.1: line 353: two <add fileExtension=".config"> entries`, "(lines 352 and 353)", "delete one by hand; nothing was written")},
		{"truncated file", asp[:40000], acctest.Phrases(`C:\Windows\System32\inetsrv\config\applicationHost.config on 127.0.0.1: line`, "truncated; nothing was written")},
		{"not XML", []byte("this is not XML at all\r\n"), acctest.Phrases("applicationHost.config on 127.0.0.1:", "not well-formed XML")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := acctest.NewSimTarget(t, testfixtures.ASPNET, c.content)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      extensionConfig(tg, ".config", true, ""),
					ExpectError: c.want,
				}},
			})
			if !bytes.Equal(tg.Read(t), c.content) {
				t.Fatal("the file was written")
			}
		})
	}
}

// TestAccProvider_missingSettings: no host or credentials is a diagnostic
// saying what to set, not a crash.
func TestAccProvider_missingSettings(t *testing.T) {
	for _, k := range []string{"IIS_HOST", "IIS_USERNAME", "IIS_PASSWORD"} {
		t.Setenv(k, "")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: `
provider "iis" {
  auth = "basic"
  https = true
}
resource "iis_request_filtering_extension" "test" {
  extension = ".config"
  allowed   = true
}`,
				ExpectError: acctest.Phrase("the iis provider needs host (or IIS_HOST), username (or IIS_USERNAME), password (or IIS_PASSWORD) to reach the distribution point"),
			},
			{
				Config: `
provider "iis" {
  host     = "dp01"
  auth     = "basic"
  username = "u"
  password = "p"
}
resource "iis_request_filtering_extension" "test" {
  extension = ".config"
  allowed   = true
}`,
				ExpectError: acctest.Phrases("Basic authentication over plain HTTP is refused", "Use https = true (port 5986)"),
			},
		},
	})
}
