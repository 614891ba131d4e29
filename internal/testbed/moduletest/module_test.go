package moduletest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestModuleAndScheduledDriftCheck: the module manages three DPs, beside a
// hidden segment and settings resource per DP; hand edits of all three
// resource types make the pipelines' drift check exit 2 and name each DP,
// scope and rule, and only those; a DP that then dies is listed apart,
// with exit code 4 (drift too) and, once the drift is put back, 3.
func TestModuleAndScheduledDriftCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h := tfrun.ForTest(ctx, t)
	needJQ(t, "drift report")
	root := h.Module
	dps, hosts := startDPs(t, "", "", "")
	config := tfrun.ProviderBlock(dps[0].Addr.Port, dpUser, dpPassword) + fmt.Sprintf(`
module "dp_request_filtering" {
  source              = %q
  distribution_points = [%s]
  extensions          = [".config", ".mdb"]
}

output "rules" {
  value = module.dp_request_filtering.rules
}

resource "iis_request_filtering_hidden_segment" "bin" {
  for_each = toset([%[2]s])
  host     = each.key
  segment  = "bin"
  location = "Default Web Site/SMS_DP_SMSPKG$"
}

resource "iis_request_filtering_settings" "packages" {
  for_each              = toset([%[2]s])
  host                  = each.key
  location              = "Default Web Site/SMS_DP_SMSPKG$"
  allow_double_escaping = true
}
`, filepath.Join(root, "examples", "modules", "configmgr-distribution-point"), strings.Join(hosts, ", "))
	tf, err := h.Workspace("fleet", config, nil)
	if err != nil {
		t.Fatal(err)
	}
	// terraform get installs the module; the provider comes from dev_overrides
	// (terraform init would ask the registry about it).
	if err := tf.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx, tfexec.Parallelism(6)); err != nil {
		t.Fatal(err)
	}
	for _, sim := range dps {
		b, _ := os.ReadFile(sim.Host.ConfigFile())
		for _, ext := range []string{".config", ".mdb"} {
			if !bytes.Contains(b, []byte(`<add fileExtension="`+ext+`" allowed="true" />`)) {
				t.Fatalf("%s: %s is not allowed", sim.Addr, ext)
			}
		}
	}
	outputs, err := tf.Output(ctx)
	if err != nil || !strings.Contains(string(outputs["rules"].Value), fmt.Sprintf(`%q: %q`, dps[1].Addr.String(), dps[1].Addr.String()+"|")) {
		t.Fatalf("the rules output does not list the import IDs: %s (%v)", outputs["rules"].Value, err)
	}

	report := func(env ...string) (string, int) {
		cmd := exec.CommandContext(ctx, filepath.Join(root, "examples", "pipelines", "drift-report.sh"))
		cmd.Dir = tf.WorkingDir()
		cmd.Env = append(append(os.Environ(), "TERRAFORM="+h.CLI, "TF_CLI_CONFIG_FILE="+h.CLIConfig, "TF_CLI_ARGS=-no-color", "IIS_TIMEOUT=10s"), env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := report(); code != 0 {
		t.Fatalf("no drift yet, but the check exited %d:\n%s", code, out)
	}

	// By hand: someone denies .mdb again on the second DP and turns double
	// escaping off below its package share, and hides bin again on the first.
	edit := func(sim *dpsim.Sim, old, repl string) {
		t.Helper()
		b, _ := os.ReadFile(sim.Host.ConfigFile())
		if bytes.Count(b, []byte(old)) != 1 {
			t.Fatalf("%s: %q is not in the file once:\n%s", sim.Addr, old, b)
		}
		if err := os.WriteFile(sim.Host.ConfigFile(), bytes.Replace(b, []byte(old), []byte(repl), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	drifted := dps[1]
	edit(drifted, `<add fileExtension=".mdb" allowed="true" />`, `<add fileExtension=".mdb" allowed="false" />`)
	edit(drifted, `allowDoubleEscaping="true"`, `allowDoubleEscaping="false"`)
	edit(dps[0], `<remove segment="bin" />`, ``)
	module := "module.dp_request_filtering.iis_request_filtering_policy.this"
	want := []string{
		fmt.Sprintf("DRIFT\t%s\t(server)\tfile_extensions[.mdb]\ttrue -> false\t%s[\"%s\"]", drifted.Addr, module, drifted.Addr),
		fmt.Sprintf("DRIFT\t%s\tDefault Web Site/SMS_DP_SMSPKG$\tallow_double_escaping\ttrue -> false\tiis_request_filtering_settings.packages[\"%s\"]", drifted.Addr, drifted.Addr),
		fmt.Sprintf("DRIFT\t%s\tDefault Web Site/SMS_DP_SMSPKG$\thidden segment bin\tallowed -> hidden again (deleted)\tiis_request_filtering_hidden_segment.bin[\"%s\"]", dps[0].Addr, dps[0].Addr),
	}
	lines := func(out, prefix string) []string {
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		return got
	}
	slices.Sort(want)
	out, code := report()
	if code != 2 {
		t.Fatalf("drift check exited %d, want 2:\n%s", code, out)
	}
	if got := lines(out, "DRIFT"); !slices.Equal(got, want) {
		t.Fatalf("drift lines\n%s\nwant exactly\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	// Terraform's own plan output names the drifted resources too, and only them.
	if n := strings.Count(out, " has changed") + strings.Count(out, " has been deleted"); n != 3 || !strings.Contains(out, fmt.Sprintf(`this["%s"] has changed`, drifted.Addr)) {
		t.Fatalf("the plan output should name exactly the 3 drifted resources (%d):\n%s", n, out)
	}
	// The advice names the CLI that ran (TERRAFORM=tofu runs OpenTofu).
	if next := "Run " + h.CLI + " apply to put them back"; !strings.Contains(out, next) {
		t.Fatalf("the report does not end with %q:\n%s", next, out)
	}

	// The third DP dies: the drift is still reported, the dead DP listed
	// apart, and the exit code says both.
	dead := dps[2]
	_ = dead.Close()
	out, code = report()
	if got := lines(out, "DRIFT"); code != 4 || !slices.Equal(got, want) {
		t.Fatalf("drift check with a dead DP exited %d (want 4) with drift lines\n%s\n%s", code, strings.Join(got, "\n"), out)
	}
	if got := lines(out, "UNREACHABLE"); len(got) != 1 || got[0] != "UNREACHABLE\t"+dead.Addr.String() {
		t.Fatalf("unreachable lines %q, want the dead DP alone:\n%s", got, out)
	}
	// Put the drift back (nothing to write on the dead DP): 3, the dead DP alone.
	if err := tf.Apply(ctx, tfexec.Parallelism(6)); err == nil {
		t.Fatal("an apply with a DP down and unreachable_hosts unset must fail")
	}
	if err := tf.SetEnv(map[string]string{"TF_CLI_CONFIG_FILE": h.CLIConfig, "IIS_UNREACHABLE_HOSTS": "warn", "IIS_TIMEOUT": "10s"}); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx, tfexec.Parallelism(6)); err != nil {
		t.Fatalf("apply with the dead DP's resources unchanged and unreachable_hosts = warn: %v", err)
	}
	out, code = report()
	if code != 3 || len(lines(out, "DRIFT")) != 0 || len(lines(out, "UNREACHABLE")) != 1 {
		t.Fatalf("drift check with the drift put back and a dead DP exited %d (want 3, no drift, one unreachable DP):\n%s", code, out)
	}
	testfixtures.Report(t, "drift check: 3 DPs, drift of 3 resource types on two: exit 2, each DP, scope and rule named; a dead DP listed apart: exit 4, then 3")
}
