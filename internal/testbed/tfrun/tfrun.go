// Package tfrun runs the provider through a real Terraform (or OpenTofu)
// CLI the way users do: a built provider binary found through a
// dev_overrides CLI configuration, one working directory per configuration,
// commands run with hashicorp/terraform-exec. The concurrency suite and the
// benchmark use it; the acceptance tests use terraform-plugin-testing.
package tfrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// Source is the provider's source address in configurations.
const Source = "dp-tools/iis"

// Harness holds a built provider and the CLI configuration that finds it.
type Harness struct {
	Root      string // scratch folder
	Module    string // the provider's Go module, which was built
	CLIConfig string // TF_CLI_CONFIG_FILE with dev_overrides
	CLI       string // path of terraform or tofu
	Env       map[string]string
}

// New builds the provider from the module at moduleDir into root, with
// the build tags given (`make bench` builds with "benchstats"), and writes a
// CLI configuration pointing at it.
func New(ctx context.Context, root, moduleDir, cli string, tags ...string) (*Harness, error) {
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	build := exec.CommandContext(ctx, "go", "build", "-tags", strings.Join(tags, ","), "-o", filepath.Join(bin, "terraform-provider-iis"), ".")
	build.Dir = moduleDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %v\n%s", err, out)
	}
	cfg := filepath.Join(root, "terraformrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", Source, bin)
	if err := os.WriteFile(cfg, []byte(rc), 0o644); err != nil {
		return nil, err
	}
	return &Harness{Root: root, Module: moduleDir, CLIConfig: cfg, CLI: cli, Env: map[string]string{}}, nil
}

// ForTest is New for a test that runs the CLI TF_ACC_TERRAFORM_PATH names:
// it skips the test unless TF_ACC is set too (make test sets both), and
// builds the provider of the module the test runs in, in a temporary folder.
func ForTest(ctx context.Context, t testing.TB) *Harness {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" || os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make test does)")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	module, err := ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(ctx, t.TempDir(), module, cli)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ModuleRoot finds the directory of go.mod above dir.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// Workspace writes config as main.tf in a new working directory named name
// and returns a terraform-exec handle for it. With dev_overrides no
// `terraform init` is needed.
func (h *Harness) Workspace(name, config string, env map[string]string) (*tfexec.Terraform, error) {
	dir := filepath.Join(h.Root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(dir, h.CLI)
	if err != nil {
		return nil, err
	}
	all := map[string]string{"TF_CLI_CONFIG_FILE": h.CLIConfig}
	for k, v := range h.Env {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	if err := tf.SetEnv(all); err != nil {
		return nil, err
	}
	return tf, nil
}

// ProviderBlock is a provider block for a simulated DP reached with Basic
// over HTTP (the simulator's scheme).
func ProviderBlock(port int, username, password string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    iis = { source = %q }
  }
}

provider "iis" {
  host              = "127.0.0.1"
  port              = %d
  auth              = "basic"
  allow_unencrypted = true
  username          = %q
  password          = %q
  timeout           = "60s"
}
`, Source, port, username, password)
}

// Extensions is HCL for one iis_request_filtering_extension per extension,
// on host (empty: the provider's host).
func Extensions(prefix, host string, exts ...string) string {
	var b strings.Builder
	for i, ext := range exts {
		fmt.Fprintf(&b, "resource \"iis_request_filtering_extension\" \"%s%d\" {\n  extension = %q\n  allowed   = true\n", prefix, i, ext)
		if host != "" {
			fmt.Fprintf(&b, "  host      = %q\n", host)
		}
		b.WriteString("}\n")
	}
	return b.String()
}
