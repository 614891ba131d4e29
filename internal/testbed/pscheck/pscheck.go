// Package pscheck checks the syntax of PowerShell scripts from Go tests: it
// writes them to files and parses them with the tree-sitter PowerShell grammar
// through tools/pscheck (a small node program; tools/install.sh pscheck
// installs its packages). Every ERROR or MISSING node of the parse is a
// finding with its line and column.
//
// Without node or the installed packages, Check skips the test with a
// message, except in CI (CI=true), where it fails: CI must check the scripts.
package pscheck

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testenv"
)

// Finding is one syntax error.
type Finding struct {
	Script       string // the name the script was given
	Line, Column int    // 1-based
	Message      string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", f.Script, f.Line, f.Column, f.Message)
}

// Checker runs tools/pscheck.
type Checker struct {
	node, script string
}

// ErrUnavailable wraps the reason the checker cannot run.
var ErrUnavailable = errors.New("the PowerShell syntax checker is not available")

// New finds node and tools/pscheck (from the module root above the working
// directory) and checks that its packages are installed.
func New() (*Checker, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("%w: no go.mod above the working directory", ErrUnavailable)
		}
		dir = parent
	}
	tool := filepath.Join(dir, "tools", "pscheck")
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node is not on PATH (apt-get install nodejs npm, then tools/install.sh pscheck)", ErrUnavailable)
	}
	for _, pkg := range []string{"tree-sitter", "tree-sitter-powershell"} {
		if _, err := os.Stat(filepath.Join(tool, "node_modules", pkg, "package.json")); err != nil {
			return nil, fmt.Errorf("%w: %s is not installed in %s (run tools/install.sh pscheck)", ErrUnavailable, pkg, tool)
		}
	}
	return &Checker{node: node, script: filepath.Join(tool, "pscheck.mjs")}, nil
}

// writeScripts writes each script (name → text) to dir as name.ps1, in
// name order, for the node tools, and maps each file back to its name.
func writeScripts(dir string, scripts map[string]string) ([]string, map[string]string, error) {
	names := make([]string, 0, len(scripts))
	for name := range scripts {
		names = append(names, name)
	}
	sort.Strings(names)
	files := make([]string, 0, len(names))
	byFile := map[string]string{}
	for _, name := range names {
		f := filepath.Join(dir, name+".ps1")
		if err := os.WriteFile(f, []byte(scripts[name]), 0o600); err != nil {
			return nil, nil, err
		}
		files = append(files, f)
		byFile[f] = name
	}
	return files, byFile, nil
}

var findingLine = regexp.MustCompile(`^(.*):(\d+):(\d+): (.*)$`)

// Find parses each script (name → text) and returns the syntax errors,
// ordered by script name and position.
func (c *Checker) Find(dir string, scripts map[string]string) ([]Finding, error) {
	files, byFile, err := writeScripts(dir, scripts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.node, append([]string{c.script}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	syntaxErrors := errors.As(err, &exit) && exit.ExitCode() == 1 // pscheck.mjs: 1 is "found some"
	if err != nil && !syntaxErrors {
		return nil, fmt.Errorf("%s: %v\n%s", c.script, err, out)
	}
	var found []Finding
	for _, line := range strings.Split(string(out), "\n") {
		m := findingLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, ok := byFile[m[1]]
		if !ok {
			continue
		}
		ln, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		found = append(found, Finding{Script: name, Line: ln, Column: col, Message: m[4]})
	}
	if err != nil && len(found) == 0 {
		return nil, fmt.Errorf("%s reported errors it did not name:\n%s", c.script, out)
	}
	if err == nil && len(found) > 0 {
		return nil, fmt.Errorf("%s exited 0 but reported:\n%s", c.script, out)
	}
	return found, nil
}

// NewForTest returns the checker, or skips the test (locally) or fails it (in
// CI) when the checker cannot run.
func NewForTest(t testing.TB) *Checker {
	t.Helper()
	c, err := New()
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("%v; CI=true, so the PowerShell scripts must be checked", err)
		}
		t.Skipf("%v; skipping the PowerShell syntax check outside CI", err)
	}
	return c
}

// Check fails the test with every syntax error in scripts (name → text).
func Check(t testing.TB, scripts map[string]string) {
	t.Helper()
	c := NewForTest(t)
	found, err := c.Find(t.TempDir(), scripts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("PowerShell syntax: %s", f)
	}
	if len(found) == 0 {
		t.Logf("PowerShell syntax: %d script(s) parse without errors", len(scripts))
	}
}
