package provider_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

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
	provider := acctest.WithProviderArgs(t, a.ProviderBlock(), fmt.Sprintf("prefetch_hosts = [%q, %q, %q, %q]", a.HostPort(), b.HostPort(), idle.HostPort(), down))
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
		return acctest.WithProviderArgs(t, tfrun.ProviderBlock(managed.Sim.Addr.Port, acctest.SimUser, acctest.SimPassword),
			fmt.Sprintf("prefetch_hosts = [%q, %q]", managed.HostPort(), idle.HostPort())) +
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
