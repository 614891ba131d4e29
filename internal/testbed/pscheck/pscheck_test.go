package pscheck

import (
	"strings"
	"testing"
)

// The checker must be able to fail: each broken script is reported at the
// line and column of its error, and a correct one is not.
func TestFindsSyntaxErrors(t *testing.T) {
	c := NewForTest(t)
	scripts := map[string]string{
		"good":          "param($req)\n$ErrorActionPreference = 'Stop'\ntry { [IO.File]::ReadAllBytes($req.path) } catch [IO.IOException] { exit 1 } finally { }\n",
		"unclosedBrace": "param($req)\nif ($req) {\n  'yes'\n",
		"unclosedParen": "$x = 1\n$y = ($x + \n",
		"unclosedHash":  "$h = @{ a = 1\n",
	}
	found, err := c.Find(t.TempDir(), scripts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Finding{}
	for _, f := range found {
		got[f.Script] = append(got[f.Script], f)
		if f.Line < 1 || f.Column < 1 || f.Message == "" {
			t.Errorf("finding without a position or message: %+v", f)
		}
	}
	if len(got["good"]) > 0 {
		t.Errorf("a correct script was reported: %v", got["good"])
	}
	for name, want := range map[string]string{
		"unclosedBrace": `unclosedBrace:3:8: missing "}"`,
		"unclosedParen": "unclosedParen:2:",
		"unclosedHash":  "unclosedHash:",
	} {
		fs := got[name]
		if len(fs) == 0 {
			t.Errorf("%s: no syntax error reported for\n%s", name, scripts[name])
			continue
		}
		if s := fs[0].String(); !strings.HasPrefix(s, want) {
			t.Errorf("%s: reported %q, want it to start with %q", name, s, want)
		}
	}
	t.Logf("findings: %v", found)
}

func TestCheckPassesCorrectScripts(t *testing.T) {
	Check(t, map[string]string{"ok": "Write-Output 'ok'\n"})
}
