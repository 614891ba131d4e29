package moduletest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestModuleContentCheck: the module checks two DPs' content libraries; the
// pipelines' content report exits 3 and names the DP, package, content and
// file that would fail (and not the DP whose content is clean); with
// allow_content_needs the module allows exactly what the content needs at
// the package share, the report exits 0, and the next plan is empty.
func TestModuleContentCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h := tfrun.ForTest(ctx, t)
	needJQ(t, "content report")
	dps, hosts := startDPs(t,
		contentlib.Build(t, contentlib.OSDResults, contentlib.DotNetApp, contentlib.Clean),
		contentlib.Build(t, contentlib.Clean))
	config := func(allow bool) string {
		return tfrun.ProviderBlock(dps[0].Addr.Port, dpUser, dpPassword) + fmt.Sprintf(`
module "dp_request_filtering" {
  source              = %q
  distribution_points = [%s]
  extensions          = [".mdb"]
  location            = "Default Web Site/SMS_DP_SMSPKG$"
  check_content       = true
  allow_content_needs = %v
}
`, filepath.Join(h.Module, "examples", "modules", "configmgr-distribution-point"), strings.Join(hosts, ", "), allow)
	}
	tf, err := h.Workspace("content", config(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	report := func() (string, int) {
		cmd := exec.CommandContext(ctx, filepath.Join(h.Module, "examples", "pipelines", "content-report.sh"))
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
	out, code := report()
	if code != 3 {
		t.Fatalf("content report exited %d, want 3:\n%s", code, out)
	}
	dp := dps[0].Addr.String()
	app := contentlib.DotNetApp.Name
	want := []string{
		"UNDELIVERABLE\t" + dp + "\tPKG00020\t" + app + "\tWebApp\\web.config\tHTTP 404.7 by .config",
		"UNDELIVERABLE\t" + dp + "\tPKG00020\t" + app + "\tWebApp\\bin\\WebApp.dll\tHTTP 404.8 by bin",
		"UNDELIVERABLE\t" + dp + "\tPKG00012\tPKG00012.1\tTools\\OSDResults\\OSDResults.exe.config\tHTTP 404.7 by .config",
	}
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "UNDELIVERABLE") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.Contains(out, "These packages on these distribution points would fail to download:") {
		t.Fatalf("report lines:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}

	// Allow what the content needs, at the package share, and only there.
	if err := os.WriteFile(filepath.Join(tf.WorkingDir(), "main.tf"), []byte(config(true)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if out, code := report(); code != 0 {
		t.Fatalf("after allow_content_needs the report exited %d:\n%s", code, out)
	}
	if changed, err := tf.Plan(ctx); err != nil || changed {
		t.Fatalf("the plan after allow_content_needs is not empty (changes %v, %v): the needs must stay stable once allowed", changed, err)
	}
	b, _ := os.ReadFile(dps[0].Host.ConfigFile())
	for _, w := range []string{`<add fileExtension=".config" allowed="true" />`, `<remove segment="bin" />`, `<remove segment="web.config" />`} {
		if !strings.Contains(string(b), w) {
			t.Fatalf("%s lacks %s", dps[0].Addr, w)
		}
	}
	if b, _ := os.ReadFile(dps[1].Host.ConfigFile()); strings.Contains(string(b), `<remove segment="bin" />`) {
		t.Fatalf("%s: its clean content needs no hidden segment, but bin was allowed", dps[1].Addr)
	}
	testfixtures.Report(t, "content check: 2 DPs under the module, 3 refused files named on one, exit code 3; after allow_content_needs exit code 0 and an empty plan")
}
