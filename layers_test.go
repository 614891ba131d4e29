package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layers of README.md's "Layout", checked twice on purpose: here on the
// graph the Go tool links (what ships), and by depguard in .golangci.yml on
// every file as it is written. Each check is shown to catch a forbidden
// import, so neither can pass by matching nothing.

const module = "github.com/dp-tools/terraform-provider-iis"

// pkg is the part of `go list -json` the rules read. Imports are those of
// the package's own files, not of its tests.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// layerViolations lists what breaks the layers in a package graph: the
// provider binary (main) links the test bed or a profiler; internal/apphost
// imports anything of the project; resources or data sources import the
// WinRM client.
func layerViolations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		switch p.ImportPath {
		case module:
			for _, d := range p.Deps {
				if strings.HasPrefix(d, module+"/internal/testbed") || d == "runtime/pprof" {
					out = append(out, fmt.Sprintf("the provider binary links %s", d))
				}
			}
		case module + "/internal/apphost":
			for _, i := range p.Imports {
				if i == module || strings.HasPrefix(i, module+"/") {
					out = append(out, fmt.Sprintf("internal/apphost imports %s", i))
				}
			}
		case module + "/resources", module + "/datasources":
			for _, i := range p.Imports {
				if i == module+"/internal/winrmclient" {
					out = append(out, fmt.Sprintf("%s imports %s", strings.TrimPrefix(p.ImportPath, module+"/"), i))
				}
			}
		}
	}
	return out
}

func TestLayerViolations(t *testing.T) {
	tb, wc := module+"/internal/testbed/dpsim", module+"/internal/winrmclient"
	for _, tc := range []struct {
		name string
		pkgs []pkg
		want []string
	}{
		{"clean", []pkg{
			{ImportPath: module, Deps: []string{module + "/provider", wc, "runtime"}},
			{ImportPath: module + "/internal/apphost", Imports: []string{"github.com/beevik/etree", "strings"}},
			{ImportPath: module + "/resources", Imports: []string{module + "/internal/hostconfig"}},
			{ImportPath: module + "/tools/dpsim", Imports: []string{tb, wc}}, // tools may
		}, nil},
		{"binary links the simulator", []pkg{{ImportPath: module, Deps: []string{tb}}},
			[]string{"the provider binary links " + tb}},
		{"binary links the profiler", []pkg{{ImportPath: module, Deps: []string{"runtime/pprof"}}},
			[]string{"the provider binary links runtime/pprof"}},
		{"apphost imports the project", []pkg{{ImportPath: module + "/internal/apphost", Imports: []string{module + "/internal/pscmd"}}},
			[]string{"internal/apphost imports " + module + "/internal/pscmd"}},
		{"a resource talks WinRM", []pkg{{ImportPath: module + "/resources", Imports: []string{wc}}},
			[]string{"resources imports " + wc}},
		{"a data source talks WinRM", []pkg{{ImportPath: module + "/datasources", Imports: []string{wc}}},
			[]string{"datasources imports " + wc}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := layerViolations(tc.pkgs); !slices.Equal(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLayers checks the module's own graph, as `go build .` links it.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "-deps", ".", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.ImportPath == module+"/internal/apphost" }) {
		t.Fatal("go list did not list internal/apphost: the check would see nothing")
	}
	for _, v := range layerViolations(pkgs) {
		t.Error(v)
	}
}

// TestDepguardCatchesForbiddenImports runs golangci-lint with the project's
// own .golangci.yml over a small module of stubs in which three files break
// a layer and two import the test bed where that is allowed (a test, a
// tool): exactly the three must be reported, each by its rule.
func TestDepguardCatchesForbiddenImports(t *testing.T) {
	lint, err := filepath.Abs(filepath.Join(".tools", "bin", "golangci-lint"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lint); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("golangci-lint is missing (%v): make test installs it with tools/install.sh", err)
		}
		t.Skip("golangci-lint is not installed: tools/install.sh golangci-lint")
	}
	cfg, err := os.ReadFile(".golangci.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                                "module " + module + "\n\ngo 1.26\n",
		".golangci.yml":                         string(cfg),
		"internal/testbed/dpsim/dpsim.go":       "package dpsim\n\n// Port is a stub.\nconst Port = 1\n",
		"internal/winrmclient/winrmclient.go":   "package winrmclient\n\n// Port is a stub.\nconst Port = 2\n",
		"internal/pscmd/pscmd.go":               "package pscmd\n\n// Port is a stub.\nconst Port = 3\n",
		"provider/provider.go":                  importer("provider", "internal/testbed/dpsim"),
		"internal/apphost/apphost.go":           importer("apphost", "internal/pscmd"),
		"resources/resource.go":                 importer("resources", "internal/winrmclient"),
		"internal/apphost/apphost_test.go":      importer("apphost", "internal/testbed/dpsim"),
		"tools/dpsim/main.go":                   importer("main", "internal/testbed/dpsim") + "\nfunc main() {}\n",
		"internal/hostconfig/hostconfig.go":     importer("hostconfig", "internal/winrmclient"),
		"internal/testbed/safety/safety.go":     importer("safety", "internal/winrmclient"),
		"datasources/datasource.go":             importer("datasources", "internal/pscmd"),
		"internal/testbed/acctest/acctest.go":   importer("acctest", "internal/testbed/dpsim"),
		"internal/remotefile/remotefile.go":     importer("remotefile", "internal/pscmd"),
		"internal/winrmclient/client_helper.go": importer("winrmclient", "internal/pscmd"),
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(lint, "run", "--enable-only", "depguard", "--output.text.print-issued-lines=false", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOLANGCI_LINT_CACHE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("golangci-lint should exit 1 with findings, got %v:\n%s", err, out)
	}
	report := string(out)
	for _, want := range []string{
		"provider/provider.go:3:8: import '" + module + "/internal/testbed/dpsim' is not allowed from list 'shipped-code-never-links-the-testbed'",
		"internal/apphost/apphost.go:3:8: import '" + module + "/internal/pscmd' is not allowed from list 'apphost-is-pure'",
		"resources/resource.go:3:8: import '" + module + "/internal/winrmclient' is not allowed from list 'resources-never-talk-winrm'",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("depguard did not report\n  %s\nin:\n%s", want, report)
		}
	}
	if n := strings.Count(report, "(depguard)"); n != 3 {
		t.Errorf("depguard reported %d imports, want exactly the 3 forbidden ones:\n%s", n, report)
	}
}

// importer is a Go file of package name that imports the project's package
// rel and uses it.
func importer(name, rel string) string {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return fmt.Sprintf("package %s\n\nimport %q\n\nvar _ = %s.Port\n", name, module+"/"+rel, base)
}

// TestREADMELayout checks README.md's layout table against the tree: every
// path it names exists, and every Go package is under a path it names.
func TestREADMELayout(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal(`README.md has no "## Layout" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var named []string
	for _, line := range strings.Split(section, "\n") {
		cell, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		if !ok || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, f := range strings.Split(cell, ", ") {
			p := strings.TrimSuffix(strings.Trim(f, "`"), "/")
			if _, err := os.Stat(p); err != nil {
				t.Errorf("the layout table names %s, which does not exist", p)
			}
			named = append(named, p)
		}
	}
	if len(named) < 10 {
		t.Fatalf("read only %d paths from the layout table: %q", len(named), named)
	}
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(wd, dir)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = "main.go"
		}
		if !slices.ContainsFunc(named, func(p string) bool { return rel == p || strings.HasPrefix(rel, p+"/") }) {
			t.Errorf("package %s is not in the README's layout table", rel)
		}
	}
}
