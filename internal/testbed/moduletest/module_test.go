package moduletest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestModuleAndScheduledDriftCheck: the module manages three DPs; a hand
// edit on one of them makes the pipelines' drift check exit 2 and name that
// DP and rule, and only those.
func TestModuleAndScheduledDriftCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h := tfrun.ForTest(ctx, t)
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the drift report needs jq: tools/install-debs.sh jq (make test runs it)")
	}
	root := h.Module
	var dps []*dpsim.Sim
	var hosts []string
	for i := 0; i < 3; i++ {
		file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
		sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: "svc", Password: "module-Passw0rd"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sim.Close() })
		dps = append(dps, sim)
		hosts = append(hosts, fmt.Sprintf("%q", sim.Addr.String()))
	}
	config := tfrun.ProviderBlock(dps[0].Addr.Port, "svc", "module-Passw0rd") + fmt.Sprintf(`
module "dp_request_filtering" {
  source              = %q
  distribution_points = [%s]
  extensions          = [".config", ".mdb"]
}

output "rules" {
  value = module.dp_request_filtering.rules
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
	if err != nil || !strings.Contains(string(outputs["rules"].Value), dps[1].Addr.String()+"||.mdb") {
		t.Fatalf("the rules output does not list the import IDs: %s (%v)", outputs["rules"].Value, err)
	}

	report := func() (string, int) {
		cmd := exec.CommandContext(ctx, filepath.Join(root, "examples", "pipelines", "drift-report.sh"))
		cmd.Dir = tf.WorkingDir()
		cmd.Env = append(os.Environ(), "TERRAFORM="+h.CLI, "TF_CLI_CONFIG_FILE="+h.CLIConfig, "TF_CLI_ARGS=-no-color")
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

	// Someone denies .mdb again by hand on the second DP.
	drifted := dps[1]
	b, _ := os.ReadFile(drifted.Host.ConfigFile())
	b = bytes.Replace(b, []byte(`<add fileExtension=".mdb" allowed="true" />`), []byte(`<add fileExtension=".mdb" allowed="false" />`), 1)
	if err := os.WriteFile(drifted.Host.ConfigFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := report()
	if code != 2 {
		t.Fatalf("drift check exited %d, want 2:\n%s", code, out)
	}
	want := fmt.Sprintf("DRIFT\t%s\t(server)\t.mdb\tallowed: true -> false\tmodule.dp_request_filtering.iis_request_filtering_extension.this[\"%s|.mdb\"]", drifted.Addr, drifted.Addr)
	var driftLines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "DRIFT") {
			driftLines = append(driftLines, l)
		}
	}
	if len(driftLines) != 1 || driftLines[0] != want {
		t.Fatalf("drift lines %q, want exactly %q\n%s", driftLines, want, out)
	}
	// The advice names the CLI that ran (TERRAFORM=tofu runs OpenTofu).
	if next := "Run " + h.CLI + " apply to put them back"; !strings.Contains(out, next) {
		t.Fatalf("the report does not end with %q:\n%s", next, out)
	}
	// Terraform's own plan output names the drifted DP too, and only it.
	if n := strings.Count(out, " has changed"); n != 1 || !strings.Contains(out, fmt.Sprintf(`this["%s|.mdb"] has changed`, drifted.Addr)) {
		t.Fatalf("the plan output should name exactly the drifted DP (%d changes):\n%s", n, out)
	}
	testfixtures.Report(t, "drift check: 3 DPs under the module, a hand edit on one: exit code 2, that DP and rule named, no other")
}
