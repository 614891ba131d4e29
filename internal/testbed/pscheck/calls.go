package pscheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Calls is what tools/pscheck/pscalls.mjs reads from one script's syntax
// tree: for each function and for the top level, the calls it makes in
// document order (see pscalls.mjs for the event forms).
type Calls struct {
	Functions map[string][]string `json:"functions"`
	Top       []string            `json:"top"`
}

// Calls parses each script (name → text) and returns its calls.
func (c *Checker) Calls(dir string, scripts map[string]string) (map[string]Calls, error) {
	files, byFile, err := writeScripts(dir, scripts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.node, append([]string{filepath.Join(filepath.Dir(c.script), "pscalls.mjs")}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("pscalls.mjs: %v\n%s", err, stderr)
	}
	var raw map[string]Calls
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("pscalls.mjs output: %v", err)
	}
	res := map[string]Calls{}
	for f, calls := range raw {
		res[byFile[f]] = calls
	}
	return res, nil
}
