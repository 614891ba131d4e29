package resources_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestAccFleet: one provider block, for_each over DPs with the resource's
// host argument; a hand edit on one DP is drift on that DP alone.
func TestAccFleet(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs several DPs: simulator only")
	}
	a := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	b := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	origA, origB := a.Read(t), b.Read(t)
	config := a.ProviderBlock() + fmt.Sprintf(`
locals {
  dps = [%q, %q]
}
resource "iis_request_filtering_extension" "fleet" {
  for_each  = toset(local.dps)
  host      = each.key
  extension = ".config"
  allowed   = true
}
`, a.HostPort(), b.HostPort())
	addrA := fmt.Sprintf("iis_request_filtering_extension.fleet[%q]", a.HostPort())
	addrB := fmt.Sprintf("iis_request_filtering_extension.fleet[%q]", b.HostPort())
	denied := []byte(`<add fileExtension=".config" allowed="false" />`)
	allowed := []byte(`<add fileExtension=".config" allowed="true" />`)
	// (terraform-plugin-testing's legacy Check and CheckDestroy cannot read
	// for_each instances; acctest.Check state checks can.)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addrB, tfjsonpath.New("id"), knownvalue.StringExact(b.HostPort()+"||.config")),
					statecheck.ExpectKnownValue(addrB, tfjsonpath.New("host"), knownvalue.StringExact(b.HostPort())),
					acctest.Check(func() error {
						for _, tg := range []*acctest.SimTarget{a, b} {
							if !bytes.Contains(tg.Read(t), allowed) {
								return fmt.Errorf("%s: .config is not allowed", tg.HostPort())
							}
						}
						return nil
					}),
				},
			},
			{
				PreConfig: func() { b.Write(t, bytes.Replace(b.Read(t), allowed, denied, 1)) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addrA, plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(addrB, plancheck.ResourceActionUpdate),
					},
				},
			},
			{
				// Destroy: both files back to their original bytes.
				Config: a.ProviderBlock(),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error {
					if !bytes.Equal(a.Read(t), origA) || !bytes.Equal(b.Read(t), origB) {
						return fmt.Errorf("destroy did not restore both DPs")
					}
					return nil
				})},
			},
		},
	})
}

// TestAccExtension_hostImport: a resource with its own host imports as
// host|location|extension.
func TestAccExtension_hostImport(t *testing.T) {
	if acctest.Real() {
		t.Skip("simulator only")
	}
	a := acctest.NewSimTarget(t, testfixtures.Base, nil)
	b := acctest.NewSimTarget(t, testfixtures.Base, nil)
	origA := a.Read(t)
	config := a.ProviderBlock() + fmt.Sprintf(`
resource "iis_request_filtering_extension" "test" {
  host      = %q
  location  = "Default Web Site"
  extension = ".mdb"
  allowed   = true
}
`, b.HostPort())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(b.HostPort()+"|Default Web Site|.mdb")),
					acctest.Check(func() error {
						if !bytes.Equal(a.Read(t), origA) || !bytes.Contains(b.Read(t), []byte(`<add fileExtension=".mdb" allowed="true" />`)) {
							return fmt.Errorf("the rule must be on the resource's host only")
						}
						return nil
					}),
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     b.HostPort() + "|Default Web Site|.mdb",
				ImportStateVerify: true,
			},
		},
	})
}
