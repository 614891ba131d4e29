package moduletest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// ciStep is the part of a GitHub Actions or Azure Pipelines step the
// check runs.
type ciStep struct {
	Name      string `yaml:"name"`
	Run       string `yaml:"run"`    // GitHub Actions
	Script    string `yaml:"script"` // Azure Pipelines
	Shell     string `yaml:"shell"`
	If        string `yaml:"if"`        // GitHub Actions: when the step runs
	Condition string `yaml:"condition"` // Azure Pipelines: when the step runs
}

// pipelineStep returns the step of examples/pipelines/file (any job) whose
// script runs report, failing the test when there is none.
func pipelineStep(t *testing.T, root, file, report string) ciStep {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "examples", "pipelines", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Jobs map[string]struct {
			Steps []ciStep `yaml:"steps"`
		} `yaml:"jobs"`
		Steps []ciStep `yaml:"steps"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	steps := doc.Steps
	for _, j := range doc.Jobs {
		steps = append(steps, j.Steps...)
	}
	for _, s := range steps {
		if strings.Contains(s.Run+s.Script, report) {
			return s
		}
	}
	t.Fatalf("%s: no step runs %s", file, report)
	return ciStep{}
}

// shellCommand is how each CI system runs a step's script on Linux:
// GitHub's default shell is `bash -e {0}`, an explicit `shell: bash` is
// `bash --noprofile --norc -eo pipefail {0}`; Azure's script step is bash.
func shellCommand(system, shell string) ([]string, error) {
	switch {
	case system == "azure":
		return []string{"bash", "--noprofile", "--norc", "-e"}, nil
	case shell == "":
		return []string{"bash", "-e"}, nil
	case shell == "bash":
		return []string{"bash", "--noprofile", "--norc", "-eo", "pipefail"}, nil
	case shell == "sh":
		return []string{"sh", "-e"}, nil
	}
	return nil, errors.New("unknown shell " + shell)
}

// TestPipelinesFailOnDrift runs each example pipeline's drift step as its CI
// system would, with drift-report.sh replaced by a stub: the step must fail
// when the report exits 2 (drift) or 1 (the check failed), so that the
// schedule notifies someone, and pass when it exits 0.
func TestPipelinesFailOnDrift(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := tfrun.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range []struct{ file, system string }{
		{"github-actions-drift.yml", "github"},
		{"azure-pipelines-drift.yml", "azure"},
	} {
		drift := pipelineStep(t, root, pl.file, "drift-report.sh")
		shell, err := shellCommand(pl.system, drift.Shell)
		if err != nil {
			t.Fatalf("%s: %v", pl.file, err)
		}
		for _, exit := range []string{"0", "1", "2"} {
			t.Run(pl.file+"/report exits "+exit, func(t *testing.T) {
				dir := t.TempDir()
				stub := "#!/bin/sh\necho 'DRIFT\tdp02\t(server)\t.mdb\tallowed: true -> false'\nexit " + exit + "\n"
				if err := os.WriteFile(filepath.Join(dir, "drift-report.sh"), []byte(stub), 0o755); err != nil {
					t.Fatal(err)
				}
				script := filepath.Join(dir, "step.sh")
				if err := os.WriteFile(script, []byte(drift.Run+drift.Script), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(shell[0], append(shell[1:], script)...)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				failed := err != nil
				if want := exit != "0"; failed != want {
					t.Errorf("%s step %q under %v: failed=%v when the report exits %s, want failed=%v\n%s", pl.system, drift.Name, shell, failed, exit, want, out)
				}
			})
		}
	}
}
