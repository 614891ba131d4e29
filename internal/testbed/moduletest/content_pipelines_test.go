package moduletest

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// TestPipelinesFailOnUndeliverableContent runs each example pipeline's
// content step as its CI system would, with content-report.sh replaced by a
// stub: the step fails when the report exits 3 (packages would fail to
// download) or 1 (the check failed), passes at 0, and runs even after the
// drift step failed.
func TestPipelinesFailOnUndeliverableContent(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := tfrun.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range []struct{ file, system, always string }{
		{"github-actions-drift.yml", "github", "success() || failure()"},
		{"azure-pipelines-drift.yml", "azure", "succeededOrFailed()"},
	} {
		step := pipelineStep(t, root, pl.file, "content-report.sh")
		if step.If+step.Condition != pl.always {
			t.Errorf("%s: the content step runs on %q, want %q (also after a drift)", pl.file, step.If+step.Condition, pl.always)
		}
		shell, err := shellCommand(pl.system, step.Shell)
		if err != nil {
			t.Fatalf("%s: %v", pl.file, err)
		}
		for _, exit := range []string{"0", "1", "3"} {
			t.Run(pl.file+"/report exits "+exit, func(t *testing.T) {
				dir := t.TempDir()
				stub := "#!/bin/sh\necho 'UNDELIVERABLE\tdp02\tPKG00012\tPKG00012.1\tTools\\OSDResults.exe.config\tHTTP 404.7 by .config'\nexit " + exit + "\n"
				if err := os.WriteFile(filepath.Join(dir, "content-report.sh"), []byte(stub), 0o755); err != nil {
					t.Fatal(err)
				}
				script := filepath.Join(dir, "step.sh")
				if err := os.WriteFile(script, []byte(step.Run+step.Script), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(shell[0], append(shell[1:], script)...)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if failed, want := err != nil, exit != "0"; failed != want {
					t.Errorf("%s step %q under %v: failed=%v when the report exits %s, want failed=%v\n%s", pl.system, step.Name, shell, failed, exit, want, out)
				}
			})
		}
	}
}

// TestContentReportLines runs content-report.sh on a plan as terraform show
// -json gives it (a stub terraform): one line per refused file, in the
// data sources' order, and one only when a DP refuses the same file under
// several of its content virtual directories (refused has an entry per URL;
// the line names no URL). A module's data source counts as well as a root
// one, and a package-less content is named so.
func TestContentReportLines(t *testing.T) {
	needJQ(t, "content report")
	wd, _ := os.Getwd()
	root, err := tfrun.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(vdir, pkg, content, path, status, rule string) map[string]any {
		return map[string]any{"package_id": pkg, "content_id": content, "path": path, "status_code": status, "rule": rule,
			"url": "/" + vdir + "/" + content + "/" + strings.ReplaceAll(path, `\`, "/")}
	}
	ds := func(host string, r ...map[string]any) map[string]any {
		return map[string]any{"mode": "data", "type": "iis_distribution_point_content", "values": map[string]any{"host": host, "refused": r}}
	}
	plan := map[string]any{"prior_state": map[string]any{"values": map[string]any{"root_module": map[string]any{
		"resources": []any{ds("",
			refused("SMS_DP_SMSPKG$", "PKG00012", "PKG00012.1", `Tools\OSDResults.exe.config`, "404.7", ".config"),
			refused("CCMTOKENAUTH_SMS_DP_SMSPKG$", "PKG00012", "PKG00012.1", `Tools\OSDResults.exe.config`, "404.7", ".config"),
			refused("SMS_DP_SMSPKG$", "", "Content_1.1", `bin\a.dll`, "404.8", "bin"))},
		"child_modules": []any{map[string]any{"resources": []any{ds("dp02",
			refused("SMS_DP_SMSPKG$", "PKG00013", "PKG00013.2", `Data\inventory.mdb`, "404.7", ".mdb"),
			refused("NOCERT_SMS_DP_SMSPKG$", "PKG00013", "PKG00013.2", `Data\inventory.mdb`, "404.7", ".mdb"))}}},
	}}}}
	dir := t.TempDir()
	js, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\ncase \"$1\" in\n  plan) exit 0 ;;\n  show) cat '" + filepath.Join(dir, "plan.json") + "' ;;\n  *) exit 9 ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "terraform"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "examples", "pipelines", "content-report.sh"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERRAFORM="+filepath.Join(dir, "terraform"))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("content report: %v, want exit code 3\n%s", err, out)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "UNDELIVERABLE") {
			got = append(got, l)
		}
	}
	want := []string{
		"UNDELIVERABLE\t(provider host)\tPKG00012\tPKG00012.1\tTools\\OSDResults.exe.config\tHTTP 404.7 by .config",
		"UNDELIVERABLE\t(provider host)\t(no package)\tContent_1.1\tbin\\a.dll\tHTTP 404.8 by bin",
		"UNDELIVERABLE\tdp02\tPKG00013\tPKG00013.2\tData\\inventory.mdb\tHTTP 404.7 by .mdb",
	}
	if !slices.Equal(got, want) {
		t.Errorf("report lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
