package moduletest

import (
	"os"
	"os/exec"
	"path/filepath"
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
