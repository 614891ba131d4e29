package resources_test

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const segAddr = "iis_request_filtering_hidden_segment.test"

func segmentConfig(tg acctest.Target, seg, location string) string {
	loc := ""
	if location != "" {
		loc = fmt.Sprintf("  location = %q\n  allow_missing_site = true\n", location) // the fixtures are not DPs: the ASP.NET one has only the site "www" (TestAccSiteCheck tests the check)
	}
	return tg.ProviderBlock() + fmt.Sprintf(`
resource "iis_request_filtering_hidden_segment" "test" {
  segment  = %q
%s}
`, seg, loc)
}

// TestAccHiddenSegment_bin is the ConfigMgr case: a package with a bin
// folder on a DP with ASP.NET (HTTP 404.8). Allowing bin server-wide takes
// its <add> out; destroy puts the same bytes back in the same place.
func TestAccHiddenSegment_bin(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("needs the ASP.NET fixture's bin entry; TestAccHiddenSegment_lifecycle covers a real DP")
	}
	orig := tg.Read(t)
	binLine := testfixtures.CRLF(`                    <add segment="bin" />`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: segmentConfig(tg, "bin", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(segAddr, tfjsonpath.New("id"), knownvalue.StringExact("bin")),
					statecheck.ExpectKnownValue(segAddr, tfjsonpath.New("location"), knownvalue.StringExact("")),
				},
				Check: acctest.FileChanged(t, tg, orig, binLine, nil),
			},
			{
				Config: segmentConfig(tg, "bin", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Hidden again by hand (the original file is back): drift,
				// and apply allows it again.
				PreConfig: func() { tg.Write(t, orig) },
				Config:    segmentConfig(tg, "bin", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionCreate)},
				},
				Check: acctest.FileChanged(t, tg, orig, binLine, nil),
			},
			{
				// IIS compares segments case-insensitively: an update, and
				// the file does not change.
				Config: segmentConfig(tg, "BIN", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionUpdate)},
				},
				Check: acctest.FileChanged(t, tg, orig, binLine, nil),
			},
			{
				Config: segmentConfig(tg, "bin", ""),
			},
			{
				ResourceName:      segAddr,
				ImportState:       true,
				ImportStateId:     "bin",
				ImportStateVerify: true,
			},
		},
	})
}

// TestAccHiddenSegment_lifecycle runs on any DP: the test first hides a
// test-only name at the server scope, then the resource allows it.
func TestAccHiddenSegment_lifecycle(t *testing.T) {
	for _, fx := range []string{testfixtures.ASPNET, testfixtures.Base} {
		t.Run(fx, func(t *testing.T) {
			tg := acctest.NewTarget(t, fx)
			tg.Write(t, acctest.WithHiddenSegment(t, tg.Read(t), "tfacc-seg"))
			orig := tg.Read(t)
			entry := []byte(`<add segment="tfacc-seg" />`)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				CheckDestroy:             acctest.Restored(t, tg, orig),
				Steps: []resource.TestStep{
					{
						Config: segmentConfig(tg, "tfacc-seg", ""),
						Check: func(*terraform.State) error {
							if bytes.Contains(tg.Read(t), entry) {
								return fmt.Errorf("the entry is still in the file")
							}
							return acctest.FileChanged(t, tg, orig, testfixtures.CRLF(`                    <add segment="tfacc-seg" />`), nil)(nil)
						},
					},
					{
						// Someone hides it again: the plan allows it again.
						PreConfig: func() { tg.Write(t, orig) },
						Config:    segmentConfig(tg, "tfacc-seg", ""),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionCreate)},
						},
					},
					{
						ResourceName:      segAddr,
						ImportState:       true,
						ImportStateId:     "tfacc-seg",
						ImportStateVerify: true,
					},
				},
			})
		})
	}
}

// TestAccHiddenSegment_location: in a location, an inherited segment is
// allowed with <remove>; destroy takes it (and the elements made for it)
// away. Runs on any DP with a test-only segment.
func TestAccHiddenSegment_location(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	tg.Write(t, acctest.WithHiddenSegment(t, tg.Read(t), "tfacc-seg"))
	orig := tg.Read(t)
	const loc = "Default Web Site/tfacc-segments"
	remove := regexp.MustCompile(`\s*<remove segment="tfacc-seg" />`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: segmentConfig(tg, "tfacc-seg", loc),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(segAddr, tfjsonpath.New("id"), knownvalue.StringExact(loc+"|tfacc-seg")),
				},
				Check: acctest.FileChanged(t, tg, orig, nil, testfixtures.CRLF(
					`    <location path="Default Web Site/tfacc-segments">`,
					`        <system.webServer>`,
					`            <security>`,
					`                <requestFiltering>`,
					`                    <hiddenSegments>`,
					`                        <remove segment="tfacc-seg" />`,
					`                    </hiddenSegments>`,
					`                </requestFiltering>`,
					`            </security>`,
					`        </system.webServer>`,
					`    </location>`)),
			},
			{
				Config: segmentConfig(tg, "tfacc-seg", loc),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The location's <remove> is deleted by hand: drift.
				PreConfig: func() { tg.Write(t, remove.ReplaceAll(tg.Read(t), nil)) },
				Config:    segmentConfig(tg, "tfacc-seg", loc),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(*terraform.State) error {
					if n := len(remove.FindAll(tg.Read(t), -1)); n != 1 {
						return fmt.Errorf("%d <remove> entries, want 1", n)
					}
					return nil
				},
			},
			{
				ResourceName:            segAddr,
				ImportState:             true,
				ImportStateId:           loc + "|tfacc-seg",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"allow_missing_site"}, // an argument, not in the file
			},
		},
	})
}

// TestAccHiddenSegment_scopes: <clear/>, <remove> and location entries,
// built from the fixtures; each create+destroy gives back the bytes.
func TestAccHiddenSegment_scopes(t *testing.T) {
	if acctest.Real() {
		t.Skip("builds its own files: simulator only")
	}
	asp := testfixtures.Read(t, testfixtures.ASPNET)
	base := testfixtures.Read(t, testfixtures.Base)
	cases := []struct {
		name, location, segment string
		content                 []byte
		removed, added          []string
	}{
		{
			name: "the site clears and hides bin itself: its own entry goes", location: "Default Web Site", segment: "bin",
			content: acctest.WithLocation(t, asp, "Default Web Site", `<hiddenSegments>`, `    <clear />`, `    <add segment="bin" />`, `</hiddenSegments>`),
			removed: testfixtures.CRLF(`                        <add segment="bin" />`),
		},
		{
			name: "below that site: a <remove> in the package share", location: acctest.PkgLocation, segment: "bin",
			content: acctest.WithLocation(t, asp, "Default Web Site", `<hiddenSegments>`, `    <clear />`, `    <add segment="bin" />`, `</hiddenSegments>`),
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering>`,
				`                    <hiddenSegments>`,
				`                        <remove segment="bin" />`,
				`                    </hiddenSegments>`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`),
		},
		{
			name: "the share removes and re-adds bin: the add goes, the remove stays", location: acctest.PkgLocation, segment: "bin",
			content: acctest.WithLocation(t, asp, acctest.PkgLocation, `<hiddenSegments>`, `    <remove segment="bin" />`, `    <add segment="bin" />`, `</hiddenSegments>`),
			removed: testfixtures.CRLF(`                        <add segment="bin" />`),
		},
		{
			name: "the share already removes it: nothing to write", location: acctest.PkgLocation, segment: "BIN",
			content: acctest.WithLocation(t, asp, acctest.PkgLocation, `<hiddenSegments>`, `    <remove segment="bin" />`, `</hiddenSegments>`),
		},
		{
			name: "not hidden on a base install: nothing to write", location: acctest.PkgLocation, segment: "bin", content: base,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := acctest.NewSimTarget(t, testfixtures.ASPNET, tc.content)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				CheckDestroy:             acctest.Restored(t, tg, tc.content),
				Steps: []resource.TestStep{
					{
						Config: segmentConfig(tg, tc.segment, tc.location),
						Check:  acctest.FileChanged(t, tg, tc.content, tc.removed, tc.added),
					},
					{
						Config: segmentConfig(tg, tc.segment, tc.location),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
					},
				},
			})
		})
	}
}

// TestAccHiddenSegment_inheritedLater: allowed in a location where nothing
// hides the segment, until the server scope starts to: drift, and apply
// writes the <remove>.
func TestAccHiddenSegment_inheritedLater(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	const loc = "Default Web Site/tfacc-segments"
	var hidden []byte
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: segmentConfig(tg, "tfacc-later", loc),
				Check:  acctest.FileChanged(t, tg, orig, nil, nil),
			},
			{
				PreConfig: func() {
					hidden = acctest.WithHiddenSegment(t, tg.Read(t), "tfacc-later")
					tg.Write(t, hidden)
				},
				Config: segmentConfig(tg, "tfacc-later", loc),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(segAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(*terraform.State) error {
					if !bytes.Contains(tg.Read(t), []byte(`<remove segment="tfacc-later" />`)) {
						return fmt.Errorf("no <remove> in the location")
					}
					return nil
				},
			},
			{
				// Destroy takes the <remove> and its location away; the
				// hand-made server entry stays.
				Config: tg.ProviderBlock(),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					// (The hand edit copied the record of the time; destroy
					// takes the record away with the last entry.)
					if now := tg.Read(t); !bytes.Equal(now, acctest.WithoutRecord(t, hidden)) {
						r, a := testfixtures.LineDiff(acctest.WithoutRecord(t, hidden), now)
						return fmt.Errorf("destroy left removed %q added %q", r, a)
					}
					return nil
				})},
			},
		},
	})
}

// TestAccHiddenSegment_badInput: values that cannot be one path segment are
// refused at plan time.
func TestAccHiddenSegment_badInput(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	cases := []struct{ seg, want string }{
		{"", "it is empty"},
		{"bin/debug", `IIS matches hidden segments against single path segments`},
		{`bin\debug`, `IIS matches hidden segments against single path segments`},
		{"..", `are not folder names`},
		{" bin", "white space"},
		{"a|b", "cannot be in a folder or file name"},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: segmentConfig(tg, c.seg, ""), ExpectError: acctest.Phrase(c.want), PlanOnly: true})
	}
	steps = append(steps, resource.TestStep{
		Config: segmentConfig(tg, "bin", ""), ResourceName: segAddr, ImportState: true, ImportStateId: "a|b|c|d",
		ExpectError: acctest.Phrase(`use the segment ("bin") for the server scope`),
	})
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProviderFactories(), Steps: steps})
	if !bytes.Equal(tg.Read(t), orig) {
		t.Fatal("the file changed")
	}
}
