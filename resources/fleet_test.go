package resources_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
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

// TestAccExtension_https: the WinRM HTTPS listener, its certificate trusted
// through ca_cert (no insecure).
func TestAccExtension_https(t *testing.T) {
	if acctest.Real() {
		t.Skip("uses the simulator's generated certificate")
	}
	tg := acctest.NewSimTargetWith(t, testfixtures.ASPNET, nil, acctest.SimOptions{TLS: true})
	orig := tg.Read(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{{
			Config: acctest.ExtensionConfig(tg, ".config", true, ""),
			Check: acctest.FileChanged(t, tg, orig,
				testfixtures.CRLF(`                    <add fileExtension=".config" allowed="false" />`),
				testfixtures.CRLF(`                    <add fileExtension=".config" allowed="true" />`)),
		}},
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

// TestAccProvider_backups: every write keeps the replaced file beside the
// live one, and only the last `backups` of them stay.
func TestAccProvider_backups(t *testing.T) {
	if acctest.Real() {
		t.Skip("counts files in the simulator's folder")
	}
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	orig := tg.Read(t)
	config := func(allowed bool) string {
		c := acctest.ExtensionConfig(tg, ".config", allowed, "")
		return strings.Replace(c, `  timeout           = "30s"`, "  timeout           = \"30s\"\n  backups           = 2", 1)
	}
	backups := func(want int, contents ...[]byte) acctest.Check {
		return func() error {
			files, _ := filepath.Glob(tg.File() + ".tf-backup-*")
			if len(files) != want {
				return fmt.Errorf("%d backups (%v), want %d", len(files), files, want)
			}
			for _, f := range files {
				b, _ := os.ReadFile(f)
				found := false
				for _, c := range contents {
					found = found || bytes.Equal(b, c)
				}
				if !found {
					return fmt.Errorf("backup %s is not a whole earlier version of the file", f)
				}
			}
			return nil
		}
	}
	var afterFirst, afterSecond []byte
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(true), ConfigStateChecks: []statecheck.StateCheck{backups(1, orig), acctest.Check(func() error { afterFirst = tg.Read(t); return nil })}},
			{Config: config(false), ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error { afterSecond = tg.Read(t); return backups(2, orig, afterFirst)() })}},
			{Config: config(true), ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error { return backups(2, afterFirst, afterSecond)() })}},
		},
	})
}

// TestAccFleetPrefetch: with prefetch_hosts, a refresh reads every listed
// host once, a host without resources too (what the reading ahead costs),
// and a listed host that is down does not fail the plan: no resource
// needs it.
func TestAccFleetPrefetch(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs several DPs: simulator only")
	}
	a := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	b := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	idle := acctest.NewSimTarget(t, testfixtures.ASPNET, nil) // listed, manages nothing
	down := "127.0.0.1:1"                                     // nothing listens on port 1
	provider := strings.Replace(a.ProviderBlock(), "provider \"iis\" {", fmt.Sprintf("provider \"iis\" {\n  prefetch_hosts = [%q, %q, %q, %q]", a.HostPort(), b.HostPort(), idle.HostPort(), down), 1)
	config := provider + fmt.Sprintf(`
resource "iis_request_filtering_extension" "fleet" {
  for_each  = toset([for p in setproduct([%q, %q], [".config", ".mdb"]) : join("/", p)])
  host      = split("/", each.key)[0]
  extension = split("/", each.key)[1]
  allowed   = true
}
`, a.HostPort(), b.HostPort())
	sims := []*acctest.SimTarget{a, b, idle}
	var before [3]int64
	count := func() [3]int64 {
		var c [3]int64
		for i, s := range sims {
			c[i] = s.Sim.Stats().CommandsStarted
		}
		return c
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// The plan of this step refreshes the four resources.
				PreConfig: func() { before = count() },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
						acctest.Check(func() error {
							now := count()
							for i, s := range sims {
								if n := now[i] - before[i]; n != 1 {
									return fmt.Errorf("%s served %d commands in the refresh; want 1", s.HostPort(), n)
								}
							}
							return nil
						}),
					},
				},
			},
			// Destroyed here: the test framework's own destroy cannot shim
			// for_each instances.
			{Config: provider},
		},
	})
}

// TestAccFleetPrefetch_onlyWhenRefreshing: what prefetch_hosts promises
// about the runs that refresh nothing: an apply on an empty state and the
// apply of a saved plan read no listed host ahead. (That the refreshes do
// is TestAccFleetPrefetch's; here the provider is a process of its own,
// which may end before a read ahead of an unused host is done. Saved plans
// need the CLI itself, not the test framework.)
func TestAccFleetPrefetch_onlyWhenRefreshing(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs several DPs: simulator only")
	}
	ctx := t.Context()
	h := tfrun.ForTest(ctx, t)
	managed := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	idle := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	config := func(allowed bool) string {
		return strings.Replace(tfrun.ProviderBlock(managed.Sim.Addr.Port, acctest.SimUser, acctest.SimPassword), "provider \"iis\" {",
			fmt.Sprintf("provider \"iis\" {\n  prefetch_hosts = [%q, %q]", managed.HostPort(), idle.HostPort()), 1) +
			strings.Replace(tfrun.Extensions("r", managed.HostPort(), ".config"), "= true", fmt.Sprintf("= %t", allowed), 1)
	}
	tf, err := h.Workspace("prefetch", config(true), nil)
	if err != nil {
		t.Fatal(err)
	}
	readsNothingAhead := func(what string, run func() error) {
		t.Helper()
		before := idle.Sim.Stats().CommandsStarted
		if err := run(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := idle.Sim.Stats().CommandsStarted - before; n != 0 {
			t.Fatalf("%s: the listed host without resources served %d commands; a run that refreshes nothing must read nothing ahead", what, n)
		}
	}
	readsNothingAhead("apply on an empty state", func() error { return tf.Apply(ctx) })
	if err := os.WriteFile(filepath.Join(tf.WorkingDir(), "main.tf"), []byte(config(false)), 0o644); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(tf.WorkingDir(), "change.tfplan")
	if changes, err := tf.Plan(ctx, tfexec.Out(planFile)); err != nil || !changes {
		t.Fatalf("plan of a change: changes %v, %v", changes, err)
	}
	readsNothingAhead("apply of the saved plan", func() error { return tf.Apply(ctx, tfexec.DirOrPlan(planFile)) })
	if !bytes.Contains(managed.Read(t), []byte(`<add fileExtension=".config" allowed="false" />`)) {
		t.Fatalf("the saved plan was not applied to %s", managed.HostPort())
	}
	if err := tf.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
}
