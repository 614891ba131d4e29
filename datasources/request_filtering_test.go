package datasources_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const dsAddr = "data.iis_request_filtering.test"

// The URLs of a package the KB describes, and of two other ConfigMgr
// problems: a bin folder and a path with '+'.
const (
	osdURL  = "/SMS_DP_SMSPKG$/PKG00012/Tools/OSDResults/OSDResults.exe.config"
	binURL  = "/SMS_DP_SMSPKG$/PKG00012/bin/setup.exe"
	plusURL = "/SMS_DP_SMSPKG$/PKG00012/Program+Files/app.msi"
)

func result(i int, attr string) tfjsonpath.Path {
	return tfjsonpath.New("results").AtSliceIndex(i).AtMapKey(attr)
}

// verdict checks one result: allowed, or blocked with status, rule and
// scope (nil: an IIS default, no scope).
func verdict(i int, status, rule string, scope *string) []statecheck.StateCheck {
	var sc knownvalue.Check = knownvalue.Null()
	if scope != nil {
		sc = knownvalue.StringExact(*scope)
	}
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(dsAddr, result(i, "allowed"), knownvalue.Bool(status == "")),
		statecheck.ExpectKnownValue(dsAddr, result(i, "status"), knownvalue.StringExact(status)),
		statecheck.ExpectKnownValue(dsAddr, result(i, "rule"), knownvalue.StringExact(rule)),
		statecheck.ExpectKnownValue(dsAddr, result(i, "scope"), sc),
	}
}

func str(s string) *string { return &s }

func checks(groups ...[]statecheck.StateCheck) []statecheck.StateCheck {
	var out []statecheck.StateCheck
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// dataSourceConfig is the data source checking urls, depending on the
// resources given (HCL addresses), so that it is read after them.
func dataSourceConfig(dependsOn []string, urls ...string) string {
	q := make([]string, len(urls))
	for i, u := range urls {
		q[i] = fmt.Sprintf("%q", u)
	}
	dep := ""
	if len(dependsOn) > 0 {
		dep = "\n  depends_on = [" + strings.Join(dependsOn, ", ") + "]"
	}
	return fmt.Sprintf(`
data "iis_request_filtering" "test" {
  check = [%s]%s
}
`, strings.Join(q, ", "), dep)
}

// TestAccDataSource_KB2508665: the check of the KB's path is blocked by
// .config at the server scope (404.7) until the extension resource allows
// it; then bin (404.8) and Program+Files (404.11) are allowed for the
// package share with the other two resources. Destroy gives the file back.
func TestAccDataSource_KB2508665(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("needs the ASP.NET fixture's .config and bin entries")
	}
	orig := tg.Read(t)
	urls := []string{osdURL, binURL, plusURL}
	const ext = `
resource "iis_request_filtering_extension" "config" {
  extension = ".config"
  allowed   = true
}
`
	const pkgFixes = `
resource "iis_request_filtering_hidden_segment" "bin" {
  segment  = "bin"
  location = "Default Web Site/SMS_DP_SMSPKG$"
  allow_missing_site = true
}
resource "iis_request_filtering_settings" "pkg" {
  location              = "Default Web Site/SMS_DP_SMSPKG$"
  allow_missing_site    = true
  allow_double_escaping = true
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: tg.ProviderBlock() + dataSourceConfig(nil, urls...),
				ConfigStateChecks: checks(
					verdict(0, "404.7", ".config", str("")),
					verdict(1, "404.8", "bin", str("")),
					verdict(2, "404.11", "allowDoubleEscaping=false", nil),
					[]statecheck.StateCheck{
						statecheck.ExpectKnownValue(dsAddr, result(0, "location"), knownvalue.StringExact("Default Web Site"+osdURL)),
						statecheck.ExpectKnownValue(dsAddr, result(0, "url"), knownvalue.StringExact(osdURL)),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("site"), knownvalue.StringExact("Default Web Site")),
					},
				),
			},
			{
				// The data source is read again after the resource (depends_on).
				Config:            tg.ProviderBlock() + ext + dataSourceConfig([]string{"iis_request_filtering_extension.config"}, urls...),
				ConfigStateChecks: checks(verdict(0, "", "", nil), verdict(1, "404.8", "bin", str("")), verdict(2, "404.11", "allowDoubleEscaping=false", nil)),
			},
			{
				Config: tg.ProviderBlock() + ext + pkgFixes + dataSourceConfig([]string{
					"iis_request_filtering_extension.config", "iis_request_filtering_hidden_segment.bin", "iis_request_filtering_settings.pkg",
				}, append(urls, "/Other/bin/setup.exe")...),
				ConfigStateChecks: checks(verdict(0, "", "", nil), verdict(1, "", "", nil), verdict(2, "", "", nil),
					verdict(3, "404.8", "bin", str(""))), // outside the share, bin stays hidden
			},
		},
	})
}

// TestAccDataSource_effective: the merged policy at a path, on the
// fixtures and on a variant with locations, <remove> and <clear/>.
func TestAccDataSource_effective(t *testing.T) {
	if acctest.Real() {
		t.Skip("asserts the fixtures' content")
	}
	asp := testfixtures.Read(t, testfixtures.ASPNET)
	variant := acctest.WithLocation(t, acctest.WithLocation(t, asp, "Default Web Site",
		`<fileExtensions>`, `    <remove fileExtension=".config" />`, `    <add fileExtension=".config" allowed="true" />`, `</fileExtensions>`,
		`<requestLimits maxUrl="8192" />`),
		acctest.PkgLocation,
		`<fileExtensions allowUnlisted="false">`, `    <add fileExtension=".cab" allowed="true" />`, `</fileExtensions>`,
		`<hiddenSegments>`, `    <clear />`, `    <add segment="private" />`, `</hiddenSegments>`)
	aspTop := knownvalue.ObjectExact(map[string]knownvalue.Check{
		"extension": knownvalue.StringExact(".asax"), "allowed": knownvalue.Bool(false), "scope": knownvalue.StringExact(""),
	})
	cases := []struct {
		name     string
		fixture  string
		content  []byte
		location string
		checks   []statecheck.StateCheck
	}{
		{
			name: "ASP.NET, server scope", fixture: testfixtures.ASPNET,
			checks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions"), knownvalue.ListSizeExact(43)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions").AtSliceIndex(0), aspTop),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("hidden_segments"), knownvalue.ListSizeExact(8)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("hidden_segments").AtSliceIndex(1), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"segment": knownvalue.StringExact("bin"), "scope": knownvalue.StringExact(""),
				})),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("allow_unlisted"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("allow_double_escaping"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("allow_high_bit_characters"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("unescape_query_string"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("request_limits"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"max_allowed_content_length": knownvalue.Int64Exact(30000000), "max_url": knownvalue.Int64Exact(4096), "max_query_string": knownvalue.Int64Exact(2048),
				})),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("results"), knownvalue.ListSizeExact(0)),
			},
		},
		{
			name: "base install", fixture: testfixtures.Base, location: acctest.PkgLocation,
			checks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("hidden_segments"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"segment": knownvalue.StringExact("web.config"), "scope": knownvalue.StringExact("")}),
				})),
			},
		},
		{
			name: "the site re-allows .config and raises maxUrl", fixture: testfixtures.ASPNET, content: variant, location: "Default Web Site/Other",
			checks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions"), knownvalue.ListSizeExact(43)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions").AtSliceIndex(42), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"extension": knownvalue.StringExact(".config"), "allowed": knownvalue.Bool(true), "scope": knownvalue.StringExact("Default Web Site"),
				})),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("request_limits").AtMapKey("max_url"), knownvalue.Int64Exact(8192)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("hidden_segments"), knownvalue.ListSizeExact(8)),
			},
		},
		{
			name: "the share: allowlist and its own hidden segments", fixture: testfixtures.ASPNET, content: variant, location: acctest.PkgLocation + "/PKG00012",
			checks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions"), knownvalue.ListSizeExact(44)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("file_extensions").AtSliceIndex(43), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"extension": knownvalue.StringExact(".cab"), "allowed": knownvalue.Bool(true), "scope": knownvalue.StringExact(acctest.PkgLocation),
				})),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("allow_unlisted"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("hidden_segments"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"segment": knownvalue.StringExact("private"), "scope": knownvalue.StringExact(acctest.PkgLocation)}),
				})),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := acctest.NewSimTarget(t, tc.fixture, tc.content)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:            tg.ProviderBlock() + fmt.Sprintf("\ndata \"iis_request_filtering\" \"test\" {\n  location = %q\n}\n", tc.location),
					ConfigStateChecks: tc.checks,
				}},
			})
		})
	}

	t.Run("checks on the variant", func(t *testing.T) {
		tg := acctest.NewSimTarget(t, testfixtures.ASPNET, variant)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.ProviderFactories(),
			Steps: []resource.TestStep{{
				Config: tg.ProviderBlock() + dataSourceConfig(nil,
					osdURL, "/Other/OSDResults.exe.config", "/SMS_DP_SMSPKG$/PKG00012/a.msi", "/SMS_DP_SMSPKG$/PKG00012/bin/a.cab",
					"/SMS_DP_SMSPKG$/PKG00012/private/a.cab", "/SMS_DP_SMSPKG$/"+strings.Repeat("x", 9000)+".cab", "/SMS_DP_SMSPKG$/PKG00012/a.mdb"),
				ConfigStateChecks: checks(
					verdict(0, "", "", nil), // .config: allowed by the site, so listed in the share's allowlist too
					verdict(1, "", "", nil),
					verdict(2, "404.7", "allowUnlisted=false", str(acctest.PkgLocation)),
					verdict(3, "", "", nil), // the share cleared the hidden segments
					verdict(4, "404.8", "private", str(acctest.PkgLocation)),
					verdict(5, "404.14", "maxUrl=8192", str("Default Web Site")),
					verdict(6, "404.7", ".mdb", str("")), // denied at the server scope, listed all the way down
				),
			}},
		})
	})
}

// TestAccDataSource_anyDP runs on any DP: the test adds a location of its
// own with known settings, so the answers do not depend on the server's.
func TestAccDataSource_anyDP(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	const site = "tfacc site"
	b := acctest.WithLocation(t, tg.Read(t), site, `<requestLimits maxUrl="64" />`)
	tg.Write(t, acctest.ReplaceOnce(t, b, `<location path="tfacc site">`+"\r\n        <system.webServer>\r\n            <security>\r\n                <requestFiltering>",
		`<location path="tfacc site">`+"\r\n        <system.webServer>\r\n            <security>\r\n"+`                <requestFiltering allowDoubleEscaping="false" allowHighBitCharacters="false">`))
	host := ""
	if s, ok := tg.(*acctest.SimTarget); ok {
		host = fmt.Sprintf("  host     = %q\n", s.HostPort()) // the per-data-source host argument
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: tg.ProviderBlock() + fmt.Sprintf(`
data "iis_request_filtering" "test" {
%s  location = "tfacc site/packages"
  site     = %q
  check    = ["/a%%2520b.cab", "/%s.cab", "/Gr%%C3%%BC%%C3%%9Fe.cab"]
}
`, host, site, strings.Repeat("y", 64)),
			ConfigStateChecks: checks(
				verdict(0, "404.11", "allowDoubleEscaping=false", str(site)),
				verdict(1, "404.14", "maxUrl=64", str(site)),
				verdict(2, "404.12", "allowHighBitCharacters=false", str(site)),
				[]statecheck.StateCheck{
					statecheck.ExpectKnownValue(dsAddr, result(0, "location"), knownvalue.StringExact(site+"/a%20b.cab")),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("allow_double_escaping"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("request_limits").AtMapKey("max_url"), knownvalue.Int64Exact(64)),
				},
			),
		}},
	})
}

// TestAccDataSource_failOnRefused: .config is allowed at the server scope,
// but a hand-made <location> below the package share denies it again. The
// check reports the refusal; with fail_on_refused the plan fails with an
// error that names the DP, the URL, the status, the rule and the location,
// and passes for a URL that is served.
func TestAccDataSource_failOnRefused(t *testing.T) {
	if acctest.Real() {
		t.Skip("writes a shadowing <location> into the fixture: simulator only")
	}
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	b := acctest.ReplaceOnce(t, tg.Read(t), `<add fileExtension=".config" allowed="false" />`, `<add fileExtension=".config" allowed="true" />`)
	tg.Write(t, acctest.WithLocation(t, b, acctest.PkgLocation, `<fileExtensions>`, `    <remove fileExtension=".config" />`,
		`    <add fileExtension=".config" allowed="false" />`, `</fileExtensions>`))
	config := func(fail bool, urls ...string) string {
		q := make([]string, len(urls))
		for i, u := range urls {
			q[i] = fmt.Sprintf("%q", u)
		}
		return tg.ProviderBlock() + fmt.Sprintf(`
data "iis_request_filtering" "test" {
  host            = %q
  check           = [%s]
  fail_on_refused = %t
}
`, tg.HostPort(), strings.Join(q, ", "), fail)
	}
	served := "/SMS_DP_SMSPKG$/PKG00012/setup.exe"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:            config(false, served, osdURL),
				ConfigStateChecks: checks(verdict(0, "", "", nil), verdict(1, "404.7", ".config", str(acctest.PkgLocation))),
			},
			{
				Config: config(true, served, osdURL),
				ExpectError: acctest.Phrases(tg.HostPort()+" would refuse "+osdURL+" (HTTP 404.7)", `The rule ".config" is set at`,
					`<location path="`+acctest.PkgLocation+`">`),
			},
			{Config: config(true, served)},
		},
	})
}
