package remotefile

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// capture records what would go to the host, and answers nothing useful.
type capture struct {
	scripts []string
	stdins  [][]byte
}

func (c *capture) RunPowerShell(_ context.Context, script string, stdin []byte) (Output, error) {
	c.scripts = append(c.scripts, script)
	c.stdins = append(c.stdins, stdin)
	return Output{ExitCode: 1}, nil
}

// Values built to change a script's meaning reach the host only as JSON
// data: the command line is always the constant loader, the script line is
// always one of the constant scripts, and the value comes back out of the
// parameters unchanged.
func TestValuesNeverBecomeScript(t *testing.T) {
	hostile := []string{
		`C:\x'; Remove-Item -Recurse -Force C:\; '`,
		"C:\\x`\"; Stop-Computer; \"",
		`C:\x$(Invoke-Expression 'calc')`,
		"C:\\x\n$ErrorActionPreference='Continue'\nRemove-Item C:\\",
		`%windir%\..\..\Users\Public\x"]]><script>`,
		"C:\\x\u0000\u2028\u00e9\U0001F600",
	}
	for _, p := range hostile {
		c := &capture{}
		cl := &Client{Runner: c, Host: "dp01", Gzip: true, ValidatePaths: []string{p}}
		_, _ = cl.Read(context.Background(), p)
		_, _ = cl.Write(context.Background(), p, "0000", []byte("<configuration/>"))
		for i, script := range c.scripts {
			if script != Loader {
				t.Fatalf("%q: command %d is not the constant loader", p, i)
			}
			op, params, _, err := DecodeRequest(c.stdins[i])
			if err != nil {
				t.Fatal(err)
			}
			if op != ReadScript && op != WriteScript {
				t.Fatalf("%q: command %d runs a script that is not one of the constants", p, i)
			}
			if strings.Contains(op, p) {
				t.Fatalf("%q: the value appears in the script text", p)
			}
			var got struct {
				Path     string   `json:"path"`
				Validate []string `json:"validate_paths"`
			}
			if err := json.Unmarshal(params, &got); err != nil || got.Path != p {
				t.Fatalf("%q: the value did not travel as data: %s (%v)", p, params, err)
			}
			if op == WriteScript && (len(got.Validate) != 1 || got.Validate[0] != p) {
				t.Fatalf("%q: validate_paths did not travel as data: %v", p, got.Validate)
			}
		}
		if len(c.scripts) != 2 {
			t.Fatalf("want 2 commands, got %d", len(c.scripts))
		}
	}
}
