package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// fleetOfThree starts three simulated DPs, each with its own fault rules,
// and a workspace whose configuration manages three extensions on each
// (provider settings from the environment, as in a pipeline, so that a test
// can change them per run).
func fleetOfThree(ctx context.Context, t *testing.T) (*tfrun.Harness, string, []*dpsim.Sim, []*dpsim.Faults) {
	t.Helper()
	h := tfrun.ForTest(ctx, t)
	var sims []*dpsim.Sim
	var faults []*dpsim.Faults
	var hosts []string
	for range 3 {
		f := &dpsim.Faults{}
		file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
		sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: acctest.SimUser, Password: acctest.SimPassword, Faults: f})
		if err != nil {
			t.Fatal(err)
		}
		// Close waits for the server's end, once: a test that kills a DP
		// closes it first.
		t.Cleanup(func() {
			if c, err := net.Dial("tcp", sim.Addr.String()); err == nil {
				_ = c.Close()
				_ = sim.Close()
			}
		})
		sims, faults = append(sims, sim), append(faults, f)
		hosts = append(hosts, fmt.Sprintf("%q", sim.Addr.String()))
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    iis = { source = %q }
  }
}

provider "iis" {
  auth              = "basic"
  allow_unencrypted = true
  username          = %q
}

resource "iis_request_filtering_extension" "fleet" {
  for_each  = toset([for p in setproduct([%s], [".config", ".mdb", ".cs"]) : join("/", p)])
  host      = split("/", each.key)[0]
  extension = split("/", each.key)[1]
  allowed   = true
}
`, tfrun.Source, acctest.SimUser, strings.Join(hosts, ", "))
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/main.tf", []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := cli(ctx, t, h, dir, nil, "apply", "-auto-approve", "-input=false"); code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	return h, dir, sims, faults
}

// cli runs the Terraform CLI in dir as a pipeline would and returns its
// combined output and exit code.
func cli(ctx context.Context, t *testing.T, h *tfrun.Harness, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, h.CLI, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+h.CLIConfig, "TF_IN_AUTOMATION=1", "NO_COLOR=1", "TF_CLI_ARGS=-no-color",
		"IIS_PASSWORD="+acctest.SimPassword, "IIS_TIMEOUT=10s")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestAccFleet_unreachableHost: one DP of three is dead (nothing listens any
// more) and another drifted. By default the refresh-only plan fails with
// one error naming the dead DP, whatever the number of its resources; with
// unreachable_hosts = "warn" it exits 2 for the drift, warns once for the
// dead DP, and keeps the dead DP's resources in the state.
func TestAccFleet_unreachableHost(t *testing.T) {
	ctx := t.Context()
	h, dir, sims, _ := fleetOfThree(ctx, t)
	drifted, dead := sims[1], sims[2]
	b, _ := os.ReadFile(drifted.Host.ConfigFile())
	b = acctest.ReplaceOnce(t, b, `<add fileExtension=".mdb" allowed="true" />`, `<add fileExtension=".mdb" allowed="false" />`)
	if err := os.WriteFile(drifted.Host.ConfigFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr.String()
	_ = dead.Close()
	plan := []string{"plan", "-refresh-only", "-detailed-exitcode", "-input=false"}

	out, code := cli(ctx, t, h, dir, nil, plan...)
	errSummary := "Error: Cannot reach the distribution point " + deadAddr
	if code != 1 || strings.Count(out, "Error: ") != 1 || strings.Count(out, errSummary) != 1 || !strings.Contains(out, `unreachable_hosts = "warn"`) {
		t.Fatalf("unreachable_hosts unset: exit %d; want 1 with exactly one error, %q, saying what to do:\n%s", code, errSummary, out)
	}

	out, code = cli(ctx, t, h, dir, []string{"IIS_UNREACHABLE_HOSTS=warn"}, plan...)
	warnSummary := "Warning: Distribution point " + deadAddr + " is unreachable"
	if code != 2 || acctest.Warnings(out) != 1 || strings.Count(out, warnSummary) != 1 || strings.Contains(out, "Error: ") {
		t.Fatalf("unreachable_hosts = warn: exit %d; want 2 (drift elsewhere) with exactly one warning, %q:\n%s", code, warnSummary, out)
	}
	if !strings.Contains(out, fmt.Sprintf(`fleet["%s/.mdb"] has changed`, drifted.Addr)) || strings.Count(out, " has changed") != 1 {
		t.Fatalf("the drift on %s must be reported, and only it:\n%s", drifted.Addr, out)
	}

	// The apply of that refresh keeps the dead DP's resources, as they were.
	if out, code := cli(ctx, t, h, dir, []string{"IIS_UNREACHABLE_HOSTS=warn"}, "apply", "-refresh-only", "-auto-approve", "-input=false"); code != 0 {
		t.Fatalf("apply -refresh-only exited %d:\n%s", code, out)
	}
	out, _ = cli(ctx, t, h, dir, nil, "state", "list")
	if n := strings.Count(out, deadAddr); n != 3 {
		t.Fatalf("the state lists %d resources on the dead DP after the refresh; want its 3 kept:\n%s", n, out)
	}

	// A write to it is an error, warn or not, and names it.
	if err := os.WriteFile(dir+"/main.tf", bytes.Replace(mustRead(t, dir+"/main.tf"), []byte("allowed   = true"), []byte("allowed   = false"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = cli(ctx, t, h, dir, []string{"IIS_UNREACHABLE_HOSTS=warn"}, "apply", "-auto-approve", "-input=false", "-refresh=false")
	if code != 1 || !strings.Contains(out, "the distribution point "+deadAddr+" does not answer") {
		t.Fatalf("an apply that writes to the dead DP: exit %d; want 1 naming it:\n%s", code, out)
	}
	testfixtures.Report(t, "unreachable DP: one error by default; with warn, exit 2 for drift elsewhere and one warning")
}

// TestAccFleet_hungHost: a DP that accepts connections but never answers
// (a hung or stopped host) costs one timeout per run: with a 10 s timeout a
// plan of three resources on it, beside two healthy DPs, ends within 40 s
// with one error that names it.
func TestAccFleet_hungHost(t *testing.T) {
	ctx := t.Context()
	h, dir, sims, faults := fleetOfThree(ctx, t)
	hung := sims[0]
	faults[0].Add(&dpsim.Rule{Kind: dpsim.Hang})
	start := time.Now()
	out, code := cli(ctx, t, h, dir, nil, "plan", "-detailed-exitcode", "-input=false")
	took := time.Since(start)
	summary := "Error: Cannot reach the distribution point " + hung.Addr.String()
	if code != 1 || strings.Count(out, "Error: ") != 1 || strings.Count(out, summary) != 1 {
		t.Fatalf("plan with a hung DP: exit %d after %s; want 1 with exactly one error, %q:\n%s", code, took, summary, out)
	}
	if took > 40*time.Second {
		t.Fatalf("plan with a hung DP took %s; want at most 40 s with a 10 s timeout", took)
	}
	// The last attempt's own words vary with the stage the budget ended
	// (a command, a connection); the provider's do not.
	if !strings.Contains(out, hung.Addr.String()+" did not answer") {
		t.Fatalf("the error should say the host did not answer:\n%s", out)
	}
	testfixtures.Report(t, "hung DP, 10 s timeout: plan ended in %s with one error naming it", took.Round(time.Second))
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
