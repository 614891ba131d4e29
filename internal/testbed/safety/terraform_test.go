package safety

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestConcurrentTerraformApplies: several real `terraform apply` processes
// with separate state, each applying a dozen resources in parallel
// (-parallelism=12), and an outside writer, on one DP at the same time.
// Every change lands, the outside writer's too, and every run's next plan
// is empty.
func TestConcurrentTerraformApplies(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	h := tfrun.ForTest(ctx, t)
	const (
		rounds    = 5
		processes = 3
		resources = 12
	)
	outsideExts := []string{".licx", ".resx", ".resources"}
	var expectedUpdates, found, emptyPlans int
	for round := 0; round < rounds; round++ {
		r := newRig(t, testfixtures.ASPNET)
		var wg sync.WaitGroup
		errs := make(chan error, processes+1)
		tfs := make([]*tfexec.Terraform, processes)
		for p := range tfs {
			exts := make([]string, resources)
			for i := range exts {
				exts[i] = fmt.Sprintf(".w%dr%d", p, i)
			}
			config := tfrun.ProviderBlock(r.sim.Addr.Port, "u", "safety-Passw0rd") + tfrun.Extensions("e", "", exts...)
			var err error
			if tfs[p], err = h.Workspace(fmt.Sprintf("round%d-run%d", round, p), config, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, tf := range tfs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := tf.Apply(ctx, tfexec.Parallelism(12)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outsideWriter(r.file, outsideExts, 600*time.Millisecond, errs)
		}()
		wg.Wait()
		drain(t, round, errs)
		e, f := checkRound(t, round, r.read(t), roundWant(outsideExts, ".w", processes, resources))
		expectedUpdates, found = expectedUpdates+e, found+f
		for p, tf := range tfs {
			changes, err := tf.Plan(ctx)
			if err != nil || changes {
				t.Errorf("round %d, run %d: the next plan is not empty (changes %v, %v)", round, p, changes, err)
			} else {
				emptyPlans++
			}
		}
	}
	testfixtures.Report(t, "terraform concurrency suite: %d rounds of %d terraform apply processes x %d resources (-parallelism=12) plus an outside writer; %d updates expected, %d found; %d of %d next plans empty",
		rounds, processes, resources, expectedUpdates, found, emptyPlans, rounds*processes)
}
