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

const addr = "iis_request_filtering_extension.test"

// TestAccExtension_KB2508665 is the problem the provider exists for: .config
// is denied on a DP with ASP.NET; allow it, keep it allowed, give it back.
func TestAccExtension_KB2508665(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("needs the ASP.NET fixture's .config entry; TestAccExtension_lifecycle covers a real DP")
	}
	orig := tg.Read(t)
	denied := `                    <add fileExtension=".config" allowed="false" />`
	allowed := `                    <add fileExtension=".config" allowed="true" />`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: acctest.ExtensionConfig(tg, ".config", true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(".config")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("location"), knownvalue.StringExact("")),
				},
				Check: acctest.FileChanged(t, tg, orig, testfixtures.CRLF(denied), testfixtures.CRLF(allowed)),
			},
			{
				// The next plan is empty.
				Config: acctest.ExtensionConfig(tg, ".config", true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Someone denies it again by hand on the DP: drift, and apply repairs it.
				PreConfig: func() { tg.Write(t, bytes.Replace(tg.Read(t), []byte(allowed), []byte(denied), 1)) },
				Config:    acctest.ExtensionConfig(tg, ".config", true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: acctest.FileChanged(t, tg, orig, testfixtures.CRLF(denied), testfixtures.CRLF(allowed)),
			},
			{
				// In-place update.
				Config: acctest.ExtensionConfig(tg, ".config", false, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("allowed"), knownvalue.Bool(false)),
				},
				Check: acctest.FileChanged(t, tg, orig, nil, nil),
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     ".config",
				ImportStateVerify: true,
			},
		},
	})
}

// TestAccExtension_lifecycle adds an entry nobody has, on any DP: create,
// drift by deletion, case-only rename, import, destroy to the original bytes.
func TestAccExtension_lifecycle(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: acctest.ExtensionConfig(tg, ".tfacc", false, ""),
				Check: func(s *terraform.State) error {
					if !bytes.Contains(tg.Read(t), []byte(`<add fileExtension=".tfacc" allowed="false" />`)) {
						return fmt.Errorf("the entry is not in the file")
					}
					if tg.Simulated() {
						return acctest.FileChanged(t, tg, orig,
							testfixtures.CRLF(`                <fileExtensions allowUnlisted="true" applyToWebDAV="true" />`),
							testfixtures.CRLF(`                <fileExtensions allowUnlisted="true" applyToWebDAV="true">`,
								`                    <add fileExtension=".tfacc" allowed="false" />`,
								`                </fileExtensions>`))(s)
					}
					return nil
				},
			},
			{
				// The entry is deleted by hand: the plan re-creates it.
				PreConfig: func() {
					b := tg.Read(t)
					tg.Write(t, regexp.MustCompile(`\s*<add fileExtension="\.tfacc" allowed="false" />`).ReplaceAll(b, nil))
				},
				Config: acctest.ExtensionConfig(tg, ".tfacc", false, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
			},
			{
				// IIS compares extensions case-insensitively: no replacement.
				Config: acctest.ExtensionConfig(tg, ".TFACC", false, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
			},
			{
				Config: acctest.ExtensionConfig(tg, ".tfacc", true, ""),
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     ".tfacc",
				ImportStateVerify: true,
			},
		},
	})
}

// TestAccExtension_location: a ConfigMgr package share as the scope. The
// server scope denies .config, so the location needs <remove> before <add>
// (IIS would answer HTTP 500.19 otherwise); destroy takes both away.
func TestAccExtension_location(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	orig := tg.Read(t)
	const loc = "Default Web Site/SMS_DP_SMSPKG$"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: acctest.ExtensionConfig(tg, ".config", true, loc),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(loc+"|.config")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("location"), knownvalue.StringExact(loc)),
				},
				Check: func(s *terraform.State) error {
					if !tg.Simulated() {
						return nil
					}
					return acctest.FileChanged(t, tg, orig, nil, testfixtures.CRLF(
						`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
						`        <system.webServer>`,
						`            <security>`,
						`                <requestFiltering>`,
						`                    <fileExtensions>`,
						`                        <remove fileExtension=".config" />`,
						`                        <add fileExtension=".config" allowed="true" />`,
						`                    </fileExtensions>`,
						`                </requestFiltering>`,
						`            </security>`,
						`        </system.webServer>`,
						`    </location>`))(s)
				},
			},
			{
				Config: acctest.ExtensionConfig(tg, ".config", true, loc),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A new location replaces the resource.
				Config: acctest.ExtensionConfig(tg, ".config", true, "Default Web Site"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
			},
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           "Default Web Site|.config",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"allow_missing_site"}, // an argument, not in the file
			},
		},
	})
}
