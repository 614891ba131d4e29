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
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const policyAddr = "iis_request_filtering_policy.test"

func policyConfig(tg acctest.Target, body string) string {
	return tg.ProviderBlock() + fmt.Sprintf(`
resource "iis_request_filtering_policy" "test" {
  location = %q
%s
}
`, acctest.PkgLocation, body)
}

// contains checks that the file's configuration (without the ownership
// record, a comment that quotes what destroy puts back) holds each text and
// none of the absent.
func contains(t *testing.T, tg acctest.Target, present []string, absent ...string) acctest.Check {
	return func() error {
		b := acctest.WithoutRecord(t, tg.Read(t))
		for _, p := range present {
			if !bytes.Contains(b, []byte(p)) {
				return fmt.Errorf("the file lacks %q", p)
			}
		}
		for _, a := range absent {
			if bytes.Contains(b, []byte(a)) {
				return fmt.Errorf("the file still has %q", a)
			}
		}
		return nil
	}
}

// TestAccPolicy_lifecycle: one resource for the package share's request
// filtering (extensions denied at the server scope, a hidden segment, a
// verb): created in one write, an empty plan after, a hand edit is drift
// that the next apply puts back, import reads the same, and destroy gives
// the file back byte for byte.
func TestAccPolicy_lifecycle(t *testing.T) {
	tg := acctest.NewDPTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("needs the ASP.NET fixture's denied .config and .mdb")
	}
	orig := tg.Read(t)
	body := `  file_extensions = { ".config" = true, ".mdb" = true }
  allowed_hidden_segments = ["bin"]
  verbs = { TRACE = false }`
	config := policyConfig(tg, body)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("id"), knownvalue.StringExact(acctest.PkgLocation)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("file_extensions").AtMapKey(".mdb"), knownvalue.Bool(true)),
					contains(t, tg, []string{
						`<location path="` + acctest.PkgLocation + `">`,
						`<remove fileExtension=".config" />`, `<add fileExtension=".config" allowed="true" />`,
						`<add fileExtension=".mdb" allowed="true" />`, `<remove segment="bin" />`, `<add verb="TRACE" allowed="false" />`,
					}),
				},
			},
			{
				// A refresh and plan after the apply: nothing to do (PlanOnly
				// fails on a non-empty plan).
				Config:   config,
				PlanOnly: true,
			},
			{
				// By hand: .mdb denied again below the share, TRACE entry gone.
				PreConfig: func() {
					b := tg.Read(t)
					b = acctest.ReplaceOnce(t, b, `<add fileExtension=".mdb" allowed="true" />`, `<add fileExtension=".mdb" allowed="false" />`)
					b = acctest.ReplaceOnce(t, b, `<add verb="TRACE" allowed="false" />`, `<add verb="TRACE" allowed="true" />`)
					tg.Write(t, b)
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(policyAddr, tfjsonpath.New("file_extensions").AtMapKey(".mdb"), knownvalue.Bool(true)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{contains(t, tg,
					[]string{`<add fileExtension=".mdb" allowed="true" />`, `<add verb="TRACE" allowed="false" />`},
					`<add fileExtension=".mdb" allowed="false" />`+"\r\n"+`                    <add verb`)},
			},
			{
				ResourceName:      policyAddr,
				ImportState:       true,
				ImportStateId:     acctest.PkgLocation,
				ImportStateVerify: true,
			},
		},
	})
}

// TestAccPolicy_exclusive: the package share has hand-made entries the
// policy does not list (an extension, a verb, an allowed segment); an
// exclusive policy removes them, a new hand-made one is drift it removes
// again, and destroy puts every one back where it was, byte for byte.
func TestAccPolicy_exclusive(t *testing.T) {
	if acctest.Real() {
		t.Skip("writes hand-made entries into the fixture: simulator only")
	}
	base := testfixtures.AsDistributionPoint(t, testfixtures.Read(t, testfixtures.ASPNET))
	start := acctest.WithLocation(t, base, acctest.PkgLocation,
		`<fileExtensions>`,
		`    <add fileExtension=".tfa" allowed="false" />`,
		`    <add fileExtension=".tfb" allowed="true" />`,
		`</fileExtensions>`,
		`<hiddenSegments>`,
		`    <remove segment="App_Data" />`,
		`</hiddenSegments>`,
		`<verbs>`,
		`    <add verb="PROPFIND" allowed="false" />`,
		`</verbs>`)
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, start)
	tfa := `                        <add fileExtension=".tfa" allowed="%s" />`
	tfc := "\r\n" + `                        <add fileExtension=".tfc" allowed="true" />`
	// Destroy puts back what the policy cut, the hand-made .tfc included:
	// the entries of the file as it was where they stood, .tfc (written
	// while .tfb was away) after them.
	tfb := `                        <add fileExtension=".tfb" allowed="true" />`
	want := acctest.ReplaceOnce(t, start, tfb, tfb+tfc)
	config := func(exclusive bool) string {
		return policyConfig(tg, fmt.Sprintf(`  file_extensions = { ".tfa" = true }
  allowed_hidden_segments = ["bin"]
  apply_to_webdav = false
  exclusive = %t`, exclusive))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, want),
		Steps: []resource.TestStep{
			{
				Config: config(true),
				ConfigStateChecks: []statecheck.StateCheck{contains(t, tg,
					[]string{fmt.Sprintf(tfa, "true"), `<remove segment="bin" />`, `<fileExtensions applyToWebDAV="false">`, `<verbs applyToWebDAV="false">`},
					`.tfb`, `PROPFIND`, `App_Data" />`+"\r\n"+`                        <remove segment="bin"`)},
			},
			{
				PreConfig: func() {
					tg.Write(t, acctest.ReplaceOnce(t, tg.Read(t), fmt.Sprintf(tfa, "true"), fmt.Sprintf(tfa, "true")+tfc))
				},
				Config: config(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(policyAddr, tfjsonpath.New("file_extensions"), knownvalue.MapExact(map[string]knownvalue.Check{".tfa": knownvalue.Bool(true)})),
				}},
				ConfigStateChecks: []statecheck.StateCheck{contains(t, tg, nil, `.tfc`)},
			},
		},
	})
}

// TestAccPolicy_conflict: a policy and a single-entry resource that manage
// the same entry of one DP and scope are refused at plan, before any write;
// an exclusive policy conflicts with any single-entry resource of its
// collections in the scope.
func TestAccPolicy_conflict(t *testing.T) {
	if acctest.Real() {
		t.Skip("simulator only")
	}
	tg := acctest.NewDPTarget(t, testfixtures.ASPNET)
	orig := tg.Read(t)
	single := fmt.Sprintf(`
resource "iis_request_filtering_extension" "single" {
  location  = %q
  extension = ".MDB"
  allowed   = false
}
`, acctest.PkgLocation)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      policyConfig(tg, `  file_extensions = { ".mdb" = true }`) + single,
				ExpectError: regexp.MustCompile(`Two resources manage the same request filtering entry`),
			},
			{
				// The hidden segment resource registers its entry too.
				Config: policyConfig(tg, `  allowed_hidden_segments = ["BIN"]`) + fmt.Sprintf(`
resource "iis_request_filtering_hidden_segment" "single" {
  location = %q
  segment  = "bin"
}
`, acctest.PkgLocation),
				ExpectError: regexp.MustCompile(`Two resources manage the same request filtering entry`),
			},
			{
				Config:      policyConfig(tg, `  file_extensions = { ".config" = true }`+"\n  exclusive = true") + single,
				ExpectError: regexp.MustCompile(`(?s)exclusive.*policy`),
			},
			{
				// Apart, they are fine.
				Config: policyConfig(tg, `  file_extensions = { ".config" = true }`) + single,
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					if bytes.Equal(tg.Read(t), orig) {
						return fmt.Errorf("nothing was written")
					}
					return nil
				})},
			},
		},
	})
}
