package resources_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// tidyGenerated is the clean-up the resource docs give for a file written
// by -generate-config-out (templates/resources/*.md.tmpl, "Import"): delete
// the arguments set to null or "" (unset ones), then format.
const tidyGenerated = `sed -E -i.bak '/^[[:space:]]*[a-z_]+[[:space:]]*=[[:space:]]*(null|"")[[:space:]]*$/d' generated.tf`

// unsetLine is an argument the CLI wrote although the rule does not set it:
// Terraform writes every optional argument, null when unset (and "" as
// null); OpenTofu 1.10 keeps "" as "".
var unsetLine = regexp.MustCompile(`^\s*[a-z_]+\s*=\s*(null|"")\s*$`)

// resourceBlocks maps each `resource "type" "name"` header of an HCL file
// to its body lines, trimmed, without comments and blank lines.
func resourceBlocks(src string) map[string][]string {
	out := map[string][]string{}
	var head string
	for _, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "resource "):
			head = strings.TrimSuffix(l, " {")
			out[head] = []string{}
		case l == "}" || l == "" || strings.HasPrefix(l, "#"):
		case head != "":
			out[head] = append(out[head], l)
		}
	}
	return out
}

// TestAccGenerateConfig_onlyWhatUsersWrite: `plan -generate-config-out`
// for every resource type, through the CLI under test. The CLI decides
// what goes into the file: every optional argument is written, unset ones
// as `= null` (OpenTofu: `location = ""`), and the provider cannot leave
// them out. What the provider controls is asserted exactly: the arguments
// with values are what the rule on the DP sets, nothing else has a value,
// and after the clean-up the docs give, the file is exactly what a user
// would write and imports with no change.
func TestAccGenerateConfig_onlyWhatUsersWrite(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the ASP.NET fixture's entries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := tfrun.ForTest(ctx, t)
	if _, err := exec.LookPath("sed"); err != nil {
		t.Skip("the documented clean-up needs sed")
	}
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	config := tfrun.ProviderBlock(tg.Sim.Addr.Port, "tf-acc", "acc-Passw0rd!") + fmt.Sprintf(`
import {
  to = iis_request_filtering_extension.config
  id = ".config"
}
import {
  to = iis_request_filtering_extension.mdb
  id = "%[1]s||.mdb"
}
import {
  to = iis_request_filtering_hidden_segment.tools
  id = "Default Web Site/SMS_DP_SMSPKG$|tfacc-tools"
}
import {
  to = iis_request_filtering_settings.server
  id = "/"
}
`, tg.HostPort())
	// What a user would write for these rules of the ASP.NET fixture, as
	// terraform fmt lays it out.
	want := map[string][]string{
		`resource "iis_request_filtering_extension" "config"`:     {`allowed   = false`, `extension = ".config"`},
		`resource "iis_request_filtering_extension" "mdb"`:        {`allowed   = false`, `extension = ".mdb"`, fmt.Sprintf(`host      = %q`, tg.HostPort())},
		`resource "iis_request_filtering_hidden_segment" "tools"`: {`location = "Default Web Site/SMS_DP_SMSPKG$"`, `segment  = "tfacc-tools"`},
		`resource "iis_request_filtering_settings" "server"`:      {`file_extensions_allow_unlisted = true`},
	}
	tf, err := h.Workspace("generate", config, nil)
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(tf.WorkingDir(), "generated.tf")
	if _, err := tf.Plan(ctx, tfexec.GenerateConfigOut(gen)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	got := resourceBlocks(string(raw))
	if len(got) != len(want) {
		t.Fatalf("generated %d resources, want %d:\n%s", len(got), len(want), raw)
	}
	for head, lines := range got {
		valued := map[string]bool{}
		for _, l := range lines {
			if !unsetLine.MatchString(l) {
				valued[strings.Join(strings.Fields(l), " ")] = true
			}
		}
		var expect []string
		for _, l := range want[head] {
			expect = append(expect, strings.Join(strings.Fields(l), " "))
		}
		var have []string
		for l := range valued {
			have = append(have, l)
		}
		sort.Strings(have)
		if strings.Join(have, "\n") != strings.Join(expect, "\n") {
			t.Errorf("%s: the arguments with values are\n%s\nwant\n%s\n(generated file:\n%s)", head, strings.Join(have, "\n"), strings.Join(expect, "\n"), raw)
		}
	}

	// The documented clean-up, then terraform fmt: exactly what a user
	// would write, and the import plans no change.
	tidy := exec.CommandContext(ctx, "sh", "-c", tidyGenerated)
	tidy.Dir = tf.WorkingDir()
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", tidyGenerated, err, out)
	}
	if err := tf.FormatWrite(ctx); err != nil {
		t.Fatal(err)
	}
	clean, _ := os.ReadFile(gen)
	got = resourceBlocks(string(clean))
	for head, lines := range want {
		if strings.Join(got[head], "\n") != strings.Join(lines, "\n") {
			t.Errorf("after the clean-up %s holds\n%s\nwant\n%s", head, strings.Join(got[head], "\n"), strings.Join(lines, "\n"))
		}
	}
	plan := filepath.Join(tf.WorkingDir(), "import.tfplan")
	if _, err := tf.Plan(ctx, tfexec.Out(plan)); err != nil {
		t.Fatal(err)
	}
	p, err := tf.ShowPlanFile(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ResourceChanges) != len(want) {
		t.Fatalf("the plan has %d resource changes, want %d imports", len(p.ResourceChanges), len(want))
	}
	for _, rc := range p.ResourceChanges {
		if rc.Change.Importing == nil || !rc.Change.Actions.NoOp() {
			t.Errorf("%s: actions %v, importing %v: want an import and no change", rc.Address, rc.Change.Actions, rc.Change.Importing != nil)
		}
	}
}
