package remotefile

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// answer replies with a fixed stdout.
type answer struct {
	stdout string
	exit   int
}

func (a answer) RunPowerShell(context.Context, string, []byte) (Output, error) {
	return Output{Stdout: []byte(a.stdout), ExitCode: a.exit}, nil
}

// Each code a script answers becomes a diagnostic that names the host and
// the file, says whether a write was applied, and says what to do next.
func TestErrorsSayWhatHappenedAndWhatToDo(t *testing.T) {
	const path = `%windir%\System32\inetsrv\config\applicationHost.config`
	for _, tc := range []struct {
		name, stdout string
		code         string
		want         []string
	}{
		{"constrained language", `{"error":{"code":"constrained_language","message":"ConstrainedLanguage"}}` + "\r\n", CodeConstrainedLanguage,
			[]string{"ConstrainedLanguage", "Constrained Language Mode", "AppLocker or WDAC", "the change was not applied"}},
		{"access denied", `{"error":{"code":"access_denied","message":"Access to the path is denied.","win32":5}}` + "\n", CodeAccessDenied,
			[]string{"LocalAccountTokenFilterPolicy", "UAC remote restrictions", "Modify rights"}},
		{"replace failed", `{"error":{"code":"replace_failed","message":"ReplaceFile failed with Win32 error 1177","win32":1177}}` + "\n", CodeReplaceFailed,
			[]string{"1177", "previous file is in place", "the change was not applied", "antivirus"}},
		{"rolled back", `{"error":{"code":"rolled_back","message":"after the replace: x; the previous file was put back"}}` + "\n", CodeRolledBack,
			[]string{"the change was not applied", "fix the cause"}},
		{"rollback failed", `{"error":{"code":"rollback_failed","message":"IIS rejected; putting the previous file back failed","applied":true}}` + "\n", CodeRollbackFailed,
			[]string{"the change was applied", "inspect the file"}},
		{"live missing", `{"error":{"code":"live_missing","message":"rename X to Y"}}` + "\n", CodeLiveMissing,
			[]string{"rename X to Y", "IIS cannot start without this file"}},
		{"no answer", "", CodeNoAnswer, []string{"without an answer", "printed nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Runner: answer{tc.stdout, 1}, Host: "dp01"}
			_, err := c.Write(context.Background(), path, "00", []byte("<configuration/>"))
			if !IsCode(err, tc.code) {
				t.Fatalf("want code %s, got %v", tc.code, err)
			}
			msg := err.Error()
			for _, w := range append([]string{"dp01", path}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not say %q", msg, w)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Answered() == (tc.code == CodeNoAnswer) {
				t.Errorf("Answered() is wrong for %s", tc.code)
			}
		})
	}
}

// A write whose file was replaced by someone else after it was in place and
// accepted by IIS took effect: it is no failure (before, the provider said
// "the change was not applied", which was false), and the result says the
// file has moved on.
func TestWriteReplacedAfterwardsIsNoFailure(t *testing.T) {
	content := []byte("<configuration />")
	c := &Client{Runner: answer{stdout: `{"sha256":"` + strings.Repeat("ab", 32) + `","backup":"C:\\b"}` + "\n"}, Host: "dp01"}
	res, err := c.Write(context.Background(), `C:\x\applicationHost.config`, strings.Repeat("cd", 32), content)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if !res.ReplacedSince {
		t.Error("ReplacedSince is false although the file on disk is not the one written")
	}
	c.Runner = answer{stdout: `{"sha256":"` + hash(content) + `","backup":"C:\\b"}` + "\n"}
	if res, err = c.Write(context.Background(), `C:\x\applicationHost.config`, strings.Repeat("cd", 32), content); err != nil || res.ReplacedSince {
		t.Errorf("Write of a file still in place: %+v, %v", res, err)
	}
}
