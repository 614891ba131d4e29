package datasources_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// refusedEntry is one expected element of refused.
func refusedEntry(content, pkg, path, url, status, rule string, scope *string) knownvalue.Check {
	var sc knownvalue.Check = knownvalue.Null()
	if scope != nil {
		sc = knownvalue.StringExact(*scope)
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"content_id": knownvalue.StringExact(content), "package_id": knownvalue.StringExact(pkg),
		"path": knownvalue.StringExact(path), "url": knownvalue.StringExact(url),
		"status_code": knownvalue.StringExact(status), "rule": knownvalue.StringExact(rule), "scope": sc,
	})
}

func stringSet(vals ...string) knownvalue.Check {
	c := make([]knownvalue.Check, len(vals))
	for i, v := range vals {
		c[i] = knownvalue.StringExact(v)
	}
	return knownvalue.SetExact(c)
}

// TestAccDistributionPointContent_allowWhatTheContentNeeds is issue 17's
// acceptance: on a DP with ASP.NET's request filtering and a content
// library holding KB2508665's OSDResults package, a .NET application and an
// Access database, the data source lists OSDResults.exe.config as 404.7 by
// .config at the server scope and the bin file as 404.8; resources built
// with for_each from its blocked_extensions and blocked_segments at the
// package share make the next read list nothing, and the sets (and so the
// plan) stay as they are once applied.
func TestAccDistributionPointContent_allowWhatTheContentNeeds(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the simulator's content library")
	}
	lib := contentlib.Build(t, contentlib.OSDResults, contentlib.DotNetApp, contentlib.AccessDB, contentlib.Clean)
	tg := acctest.NewSimTargetWith(t, testfixtures.ASPNET, testfixtures.AsDistributionPoint(t, testfixtures.Read(t, testfixtures.ASPNET)), acctest.SimOptions{ContentLibrary: lib})
	orig := tg.Read(t)
	app := contentlib.DotNetApp.Name
	const needs = `
data "iis_distribution_point_content" "needs" {}
`
	const fixes = `
resource "iis_request_filtering_extension" "content" {
  for_each  = data.iis_distribution_point_content.needs.blocked_extensions
  extension = each.value
  allowed   = true
  location  = "Default Web Site/SMS_DP_SMSPKG$"
}
resource "iis_request_filtering_hidden_segment" "content" {
  for_each = data.iis_distribution_point_content.needs.blocked_segments
  segment  = each.value
  location = "Default Web Site/SMS_DP_SMSPKG$"
}
data "iis_distribution_point_content" "after" {
  depends_on = [iis_request_filtering_extension.content, iis_request_filtering_hidden_segment.content]
}
`
	const needsAddr = "data.iis_distribution_point_content.needs"
	const afterAddr = "data.iis_distribution_point_content.after"
	server := str("")
	// (CheckDestroy cannot read for_each instances: the last step removes
	// the fixes and checks the bytes instead.)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: tg.ProviderBlock() + needs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("refused"), knownvalue.ListExact([]knownvalue.Check{
						refusedEntry(app, "PKG00020", `WebApp\web.config`, "/SMS_DP_SMSPKG$/"+app+"/WebApp/web.config", "404.7", ".config", server),
						refusedEntry(app, "PKG00020", `WebApp\bin\WebApp.dll`, "/SMS_DP_SMSPKG$/"+app+"/WebApp/bin/WebApp.dll", "404.8", "bin", server),
						refusedEntry("PKG00012.1", "PKG00012", `Tools\OSDResults\OSDResults.exe.config`,
							"/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/OSDResults.exe.config", "404.7", ".config", server),
						refusedEntry("PKG00013.2", "PKG00013", `Data\inventory.mdb`, "/SMS_DP_SMSPKG$/PKG00013.2/Data/inventory.mdb", "404.7", ".mdb", server),
					})),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("blocked_extensions"), stringSet(".config", ".mdb")),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("blocked_segments"), stringSet("bin", "web.config")),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("contents"), knownvalue.Int64Exact(4)),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("files"), knownvalue.Int64Exact(11)),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("content_library"), knownvalue.StringExact(`D:\SCCMContentLib`)),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("site"), knownvalue.StringExact("Default Web Site")),
					statecheck.ExpectKnownValue(needsAddr, tfjsonpath.New("virtual_directories"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("SMS_DP_SMSPKG$")})),
				},
			},
			{
				Config: tg.ProviderBlock() + needs + fixes,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(afterAddr, tfjsonpath.New("refused"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(afterAddr, tfjsonpath.New("blocked_extensions"), stringSet(".config", ".mdb")),
					statecheck.ExpectKnownValue(afterAddr, tfjsonpath.New("blocked_segments"), stringSet("bin", "web.config")),
					acctest.Check(func() error { // the fixes are at the package share, not server-wide
						now := string(tg.Read(t))
						for _, want := range []string{`<add fileExtension=".config" allowed="true" />`, `<add fileExtension=".mdb" allowed="true" />`,
							`<remove segment="bin" />`, `<remove segment="web.config" />`, `<location path="Default Web Site/SMS_DP_SMSPKG$">`} {
							if !strings.Contains(now, want) {
								return fmt.Errorf("applicationHost.config lacks %s", want)
							}
						}
						return nil
					}),
				},
			},
			{
				Config: tg.ProviderBlock() + needs,
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					if now := tg.Read(t); !bytes.Equal(now, orig) {
						r, a := testfixtures.LineDiff(orig, now)
						return fmt.Errorf("destroying the fixes did not restore the original bytes: removed %q added %q", r, a)
					}
					return nil
				})},
			},
		},
	})
}

// TestAccDistributionPointContent_failOnBlocked: a scheduled plan with
// fail_on_blocked fails, naming the DP, the package and content, and the
// file with its status and rule; content_ids restricts the scan, and
// clean content passes.
func TestAccDistributionPointContent_failOnBlocked(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the simulator's content library")
	}
	lib := contentlib.Build(t, contentlib.Standard()...)
	tg := acctest.NewSimTargetWith(t, testfixtures.ASPNET, testfixtures.AsDistributionPoint(t, testfixtures.Read(t, testfixtures.ASPNET)), acctest.SimOptions{ContentLibrary: lib})
	cfg := func(ids string) string {
		return tg.ProviderBlock() + fmt.Sprintf(`
data "iis_distribution_point_content" "gate" {
  content_ids     = [%s]
  fail_on_blocked = true
}
`, ids)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      cfg(`"PKG00012", "PKG00016"`),
				PlanOnly:    true,
				ExpectError: acctest.Phrases("Content on 127.0.0.1 would fail to download", "on 127.0.0.1", "package PKG00012 (content PKG00012.1):", `Tools\OSDResults\OSDResults.exe.config: HTTP 404.7 by .config at the server scope`),
			},
			{
				Config:      cfg(`"PKG00014", "PKG00015"`),
				PlanOnly:    true,
				ExpectError: acctest.Phrases("package PKG00014 (content PKG00014.1):", `Program Files+\Vendor\setup.msi: HTTP 404.11 by allowDoubleEscaping=false`, "package PKG00015 (content PKG00015.1):", "HTTP 404.14 by maxUrl=4096"),
			},
			{
				Config: cfg(`"PKG00016"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.iis_distribution_point_content.gate", tfjsonpath.New("refused"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue("data.iis_distribution_point_content.gate", tfjsonpath.New("files"), knownvalue.Int64Exact(2)),
				},
			},
		},
	})
}

// TestAccDistributionPointContent_notADP: a host without a content library
// gets a diagnostic that says so and names the registry key.
func TestAccDistributionPointContent_notADP(t *testing.T) {
	if acctest.Real() {
		t.Skip("asserts the simulator's host without a DP role")
	}
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      tg.ProviderBlock() + "\ndata \"iis_distribution_point_content\" \"x\" {}\n",
			PlanOnly:    true,
			ExpectError: acctest.Phrases("Cannot list the content library of 127.0.0.1", `HKLM\SOFTWARE\Microsoft\SMS\DP does not exist`, "not a Configuration Manager distribution point"),
		}},
	})
}

// TestAccDistributionPointContent_arguments: virtual_directories chooses
// the URLs checked; a virtual directory with a slash, an empty list or an
// empty site is refused at plan time with what to write instead.
func TestAccDistributionPointContent_arguments(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the simulator's content library")
	}
	lib := contentlib.Build(t, contentlib.OSDResults)
	tg := acctest.NewSimTargetWith(t, testfixtures.ASPNET, testfixtures.AsDistributionPoint(t, testfixtures.Read(t, testfixtures.ASPNET)), acctest.SimOptions{ContentLibrary: lib})
	cfg := func(args string) string {
		return tg.ProviderBlock() + "\ndata \"iis_distribution_point_content\" \"x\" {\n" + args + "\n}\n"
	}
	const addr = "data.iis_distribution_point_content.x"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: cfg(`virtual_directories = ["Default Web Site/SMS_DP_SMSPKG$"]`), PlanOnly: true, ExpectError: acctest.Phrase("must be a virtual directory name such as SMS_DP_SMSPKG$, without slashes")},
			{Config: cfg(`virtual_directories = []`), PlanOnly: true, ExpectError: acctest.Phrase("list must contain at least 1 elements")},
			{Config: cfg(`site = ""`), PlanOnly: true, ExpectError: acctest.Phrase("string length must be at least 1")},
			// Last, so that the test's final destroy has a valid configuration.
			{
				Config: cfg(`virtual_directories = ["CCMTOKENAUTH_SMS_DP_SMSPKG$"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("refused").AtSliceIndex(0).AtMapKey("url"),
						knownvalue.StringExact("/CCMTOKENAUTH_SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/OSDResults.exe.config")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("refused"), knownvalue.ListSizeExact(1)),
				},
			},
		},
	})
}
