package dpsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const winConfig = `%windir%\System32\inetsrv\config\applicationHost.config`

// inProcess runs the scripts on a Host without WinRM.
type inProcess struct{ h *Host }

func (p inProcess) RunPowerShell(_ context.Context, script string, stdin []byte) (remotefile.Output, error) {
	line, err := pscmd.Encode(script)
	if err != nil {
		return remotefile.Output{}, err
	}
	o, e, c := p.h.Run(line, stdin)
	return remotefile.Output{Stdout: o, Stderr: e, ExitCode: c}, nil
}

type fixture struct {
	h        *Host
	f        *Failures
	c        *remotefile.Client
	file     string
	old, new []byte
}

func newFixture(t *testing.T, injs ...Injection) *fixture {
	t.Helper()
	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	f, err := NewFailures(injs...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHostWith(file, HostOptions{Failures: f})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(file)
	d, err := apphost.Parse(old)
	if err != nil {
		t.Fatal(err)
	}
	nb, _, err := d.CreateFileExtension("", ".config", true)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, f: f, file: file, old: old, new: nb,
		c: &remotefile.Client{Runner: inProcess{h}, Host: "dp01", KeepBackups: 2, Gzip: true}}
}

func (fx *fixture) write() error {
	_, err := fx.c.Write(context.Background(), winConfig, remotefile.Hash(fx.old), fx.new)
	return err
}

// live returns the live file, or nil when it is missing.
func (fx *fixture) live(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(fx.file)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return b
}

// One write per failure at its first occurrence: what the script answers,
// what is live afterwards.
func TestEachFailureAnswersAndKeepsTheFile(t *testing.T) {
	for _, tc := range []struct {
		inj      string
		wantCode string // "" success; CodeNoAnswer: killed
		applied  bool
		missing  bool // the live file is missing until the next read repairs it
	}{
		{"replace-1175@1", remotefile.CodeReplaceFailed, false, false},
		{"replace-1176@1", remotefile.CodeReplaceFailed, false, false},
		{"replace-1177@1", remotefile.CodeReplaceFailed, false, false},
		{"replace-1177@1,move-access-denied@1", remotefile.CodeLiveMissing, false, true},
		{"appcmd-rejects@1,replace-1176@2", remotefile.CodeRollbackFailed, true, false},
		{"replace-sharing-violation@1", "", true, false},
		{"replace-sharing-violation", remotefile.CodeReplaceFailed, false, false},
		{"replace-access-denied@1", remotefile.CodeAccessDenied, false, false},
		{"write-disk-full@1", remotefile.CodeIO, false, false},
		{"read-sharing-violation@3", remotefile.CodeRolledBack, false, false},
		{"lock-timeout@1", remotefile.CodeBusy, false, false},
		{"filtered-token", remotefile.CodeAccessDenied, false, false},
		{"fips", "", true, false},
		{"constrained-language", remotefile.CodeConstrainedLanguage, false, false},
		{"appcmd-rejects@1", remotefile.CodeRejected, false, false},
		{"appcmd-rejects-on-stderr@1", remotefile.CodeRejected, false, false},
		{"appcmd-stderr-warning@1", "", true, false},
		{"appcmd-cannot-start@1", remotefile.CodeRolledBack, false, false},
		{"appcmd-rejects@1,replace-1177@2", remotefile.CodeRejected, false, false},
		{"read-sharing-violation@4", "", true, false},
		{"appcmd-rejects@1,replace-1175@2", remotefile.CodeRollbackFailed, true, false},
		{"kill-in-replace@1", remotefile.CodeNoAnswer, false, true},
		{"kill-after-replace@1", remotefile.CodeNoAnswer, true, false},
		{"appcmd-rejects@1,kill-in-replace@2", remotefile.CodeNoAnswer, false, true},
	} {
		t.Run(tc.inj, func(t *testing.T) {
			injs, err := ParseInjections(tc.inj)
			if err != nil {
				t.Fatal(err)
			}
			fx := newFixture(t, injs...)
			err = fx.write()
			t.Logf("answer: %v", err)
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("want success, got %v", err)
			case tc.wantCode != "" && !remotefile.IsCode(err, tc.wantCode):
				t.Fatalf("want code %s, got %v", tc.wantCode, err)
			}
			if fx.f.Injected() == 0 {
				t.Fatal("the failure never struck: the case tests nothing")
			}
			now := fx.live(t)
			if tc.missing != (now == nil) {
				t.Fatalf("live file missing = %v, want %v", now == nil, tc.missing)
			}
			if now != nil && !bytes.Equal(now, map[bool][]byte{true: fx.new, false: fx.old}[tc.applied]) {
				t.Fatalf("the live file is not the %s one", map[bool]string{true: "new", false: "old"}[tc.applied])
			}
			// The next read, with the failures gone, finds the file and
			// repairs what an interrupted write left.
			_ = fx.f.Set()
			got, err := fx.c.Read(context.Background(), winConfig)
			if err != nil {
				t.Fatalf("next read: %v", err)
			}
			if !bytes.Equal(got.Content, fx.old) && !bytes.Equal(got.Content, fx.new) {
				t.Fatal("next read: neither old nor new")
			}
			// A missing live file is repaired from this write's backup,
			// which is the file that was live: the old one.
			if tc.missing && !bytes.Equal(got.Content, fx.old) {
				t.Fatal("next read: the repaired file is not the one that was live before the write")
			}
			if !bytes.Equal(fx.live(t), got.Content) {
				t.Fatal("next read: the file on disk is not what was read")
			}
		})
	}
}

// setups put a failure where its primitive is reached: alone, inside the
// recovery of a failed swap, inside a rollback, and with leftovers of earlier
// runs (a temporary file, more backups than kept) for the deletes.
var setups = []struct {
	name      string
	with      []Injection
	leftovers bool
}{
	{name: "alone"},
	{name: "after replace-1177", with: []Injection{{Name: "replace-1177", N: 1}}},
	{name: "in a rollback", with: []Injection{{Name: "appcmd-rejects", N: 1}}},
	{name: "with leftovers", leftovers: true},
}

// leaveLeftovers puts what earlier runs leave beside the file.
func leaveLeftovers(t *testing.T, file string) {
	t.Helper()
	for _, n := range []string{".tf-00000000000000000000000000000000.tmp", ".tf-backup-20200101T0000000000000Z", ".tf-backup-20200102T0000000000000Z", ".tf-backup-20200103T0000000000000Z-0123456789abcdef0123456789abcdef"} {
		if err := os.WriteFile(file+n, []byte("old run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every failure, at every occurrence its primitive has in a write (and at
// all occurrences), in every setup, leaves the live file old or new once the
// next read has run; the answer matches the file; the next write succeeds and
// leaves no temporary file.
func TestEveryFailureAtEveryOccurrence(t *testing.T) {
	kinds, runs, damaged := 0, 0, 0
	for _, name := range FailureNames() {
		struck := false
		for _, su := range setups {
			for n := 0; n <= 8; n++ {
				fx := newFixture(t, append([]Injection{{Name: name, N: n}}, su.with...)...)
				if su.leftovers {
					leaveLeftovers(t, fx.file)
				}
				err := fx.write()
				if fx.f.Hits(name) == 0 {
					break
				}
				struck = true
				runs++
				where := fmt.Sprintf("%s@%d (%s)", name, n, su.name)
				_ = fx.f.Set()
				got, rerr := fx.c.Read(context.Background(), winConfig)
				if rerr != nil {
					t.Fatalf("%s: next read: %v (write: %v)", where, rerr, err)
				}
				if !bytes.Equal(got.Content, fx.old) && !bytes.Equal(got.Content, fx.new) {
					damaged++
					t.Errorf("%s: the file is damaged (write: %v)", where, err)
					continue
				}
				if err == nil && !bytes.Equal(got.Content, fx.new) {
					t.Fatalf("%s: success answered but the new file is not live", where)
				}
				var re *remotefile.Error
				if errors.As(err, &re) && re.Answered() && re.Applied != bytes.Equal(got.Content, fx.new) {
					t.Fatalf("%s: answered %q with applied=%v, but the live file says otherwise", where, re.Code, re.Applied)
				}
				if _, err := fx.c.Write(context.Background(), winConfig, got.SHA256, fx.new); err != nil {
					t.Fatalf("%s: the next write: %v", where, err)
				}
				if tmps, _ := filepath.Glob(fx.file + ".tf-*.tmp"); len(tmps) > 0 {
					t.Fatalf("%s: temporary files left after the next write: %v", where, tmps)
				}
			}
		}
		if !struck {
			t.Errorf("%s: never struck in any setup", name)
		}
		kinds++
	}
	testfixtures.Report(t, "windows failure model: %d failure kinds at every occurrence in %d setups, %d injected writes, %d files damaged", kinds, len(setups), runs, damaged)
}

func TestParseInjections(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"replace-1177", "replace-1177", ""},
		{"replace-1177@2", "replace-1177@2", ""},
		{"appcmd-rejects, replace-1175@2", "appcmd-rejects replace-1175@2", ""},
		{"nope", "", "no such failure"},
		{"replace-1177@0", "", "number from 1"},
		{"replace-1177@x", "", "number from 1"},
	} {
		got, err := ParseInjections(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: want error %q, got %v", tc.in, tc.err, err)
			}
			continue
		}
		var names []string
		for _, i := range got {
			names = append(names, i.String())
		}
		if err != nil || strings.Join(names, " ") != tc.want {
			t.Errorf("%q: got %v %v", tc.in, names, err)
		}
	}
}

// The model refuses what Windows refuses: SHA256Managed under the FIPS
// policy, and a native command's stderr under Stop semantics.
func TestModelIsStrict(t *testing.T) {
	fx := newFixture(t, Injection{Name: "fips"}, Injection{Name: "appcmd-stderr-warning"})
	r := newRun(fx.h, true)
	var got []string
	try(func() { r.crypto.SHA256Managed() }, func(e *dotnetError) { got = append(got, e.Type) })
	try(func() { r.process.appcmd("list", "config") }, func(e *dotnetError) { got = append(got, e.Type) })
	if strings.Join(got, ",") != "InvalidOperationException,RemoteException" {
		t.Fatalf("got %v", got)
	}
}

// An error no catch handles reaches stderr as CLIXML, as powershell.exe run
// with -EncodedCommand prints it, and the client shows its text.
func TestUncaughtErrorIsCLIXML(t *testing.T) {
	fx := newFixture(t)
	in, err := remotefile.EncodeRequest(remotefile.ReadScript, "not an object", nil)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := pscmd.Encode(remotefile.Loader)
	stdout, stderr, code := fx.h.Run(line, in)
	if code == 0 || len(stdout) != 0 || !bytes.HasPrefix(stderr, []byte("#< CLIXML\r\n<Objs")) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	c := &remotefile.Client{Runner: rawRunner{stderr: stderr}, Host: "dp01"}
	_, err = c.Read(context.Background(), winConfig)
	if err == nil || !strings.Contains(err.Error(), "Invalid JSON primitive") || strings.Contains(err.Error(), "CLIXML") {
		t.Fatalf("the client's message is not the error's text: %v", err)
	}
}

type rawRunner struct{ stderr []byte }

func (r rawRunner) RunPowerShell(context.Context, string, []byte) (remotefile.Output, error) {
	return remotefile.Output{Stderr: r.stderr, ExitCode: 1}, nil
}

// A missing live file that no interrupted write explains is not guessed
// at: the read answers live_missing, names the newest backup and says what
// to do, and changes nothing.
func TestUnexplainedMissingFileIsNotGuessed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string // beside the (deleted) live file
		want    string   // code, "" for not_found
		mention string
	}{
		{"backups only", []string{".tf-backup-20250101T0000000000000Z-0123456789abcdef0123456789abcdef", ".tf-backup-20250102T0000000000000Z-fedcba9876543210fedcba9876543210"}, remotefile.CodeLiveMissing, "applicationHost.config.tf-backup-20250102T0000000000000Z-fedcba9876543210fedcba9876543210"},
		{"a temporary file of another write", []string{".tf-backup-20250102T0000000000000Z-fedcba9876543210fedcba9876543210", ".tf-0123456789abcdef0123456789abcdef.tmp"}, remotefile.CodeLiveMissing, "Copy-Item"},
		{"nothing beside it", nil, remotefile.CodeNotFound, "config_path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			for _, f := range tc.files {
				if err := os.WriteFile(fx.file+f, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(fx.file); err != nil {
				t.Fatal(err)
			}
			_, err := fx.c.Read(context.Background(), winConfig)
			if !remotefile.IsCode(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("want %s mentioning %q, got %v", tc.want, tc.mention, err)
			}
			if fx.live(t) != nil {
				t.Fatal("a file was put in place")
			}
			left, _ := filepath.Glob(fx.file + ".tf-*")
			if len(left) != len(tc.files) {
				t.Fatalf("files beside it changed: %v", left)
			}
		})
	}
}

// ReplaceFile's documented failures leave each name with the bytes the
// Win32 reference says (nf-winbase-replacefilew, Return value): the model
// is held to that, name by name, so that no failure is kinder than Windows.
func TestReplaceFailuresLeaveTheDocumentedFiles(t *testing.T) {
	const (
		live = ConfigDir + `\applicationHost.config`
		tmp  = ConfigDir + `\applicationHost.config.tf-x.tmp`
		bak  = ConfigDir + `\applicationHost.config.tf-backup-x`
	)
	oldB, newB := []byte("old file"), []byte("new file")
	for _, tc := range []struct {
		failure, backup string
		win32           int
		want            map[string][]byte // name -> bytes; nil: no such file
	}{
		{"replace-1175", bak, 1175, map[string][]byte{live: oldB, tmp: newB, bak: nil}},
		{"replace-1176", bak, 1176, map[string][]byte{live: oldB, tmp: newB, bak: nil}},
		{"replace-1176", "", 1176, map[string][]byte{live: nil, tmp: newB, bak: nil}},
		{"replace-1177", bak, 1177, map[string][]byte{live: nil, tmp: newB, bak: oldB}},
		{"replace-sharing-violation", bak, 32, map[string][]byte{live: oldB, tmp: newB, bak: nil}},
		{"replace-access-denied", bak, 5, map[string][]byte{live: oldB, tmp: newB, bak: nil}},
	} {
		t.Run(tc.failure+"/backup="+fmt.Sprint(tc.backup != ""), func(t *testing.T) {
			fx := newFixture(t, Injection{Name: tc.failure})
			r := newRun(fx.h, true)
			for name, b := range map[string][]byte{live: oldB, tmp: newB} {
				l, _ := fx.h.local(name)
				if err := os.WriteFile(l, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var got *dotnetError
			try(func() { r.file.Replace(tmp, live, tc.backup) }, func(e *dotnetError) { got = e })
			if got == nil || got.win32() != tc.win32 {
				t.Fatalf("Replace threw %v, want Win32 error %d", got, tc.win32)
			}
			for name, want := range tc.want {
				l, _ := fx.h.local(name)
				b, err := os.ReadFile(l)
				if want == nil {
					if !os.IsNotExist(err) {
						t.Errorf("%s exists (%q, %v), want no file", name, b, err)
					}
				} else if !bytes.Equal(b, want) {
					t.Errorf("%s = %q (%v), want %q", name, b, err, want)
				}
			}
		})
	}
}

// A config_path in a folder that does not exist: on Windows GetAttributes
// and ReadAllBytes throw DirectoryNotFoundException (ERROR_PATH_NOT_FOUND),
// not FileNotFoundException, so Test-Missing is false and no repair is
// tried. The read answers not_found with the hint to check config_path;
// the write fails listing the folder (Get-ChildItem's ItemNotFoundException,
// an error) and never claims a live file went missing in a replace.
func TestPathInAMissingFolderIsNotFound(t *testing.T) {
	const missing = `C:\NoSuchFolder\applicationHost.config`
	fx := newFixture(t)
	_, err := fx.c.Read(context.Background(), missing)
	if !remotefile.IsCode(err, remotefile.CodeNotFound) || !strings.Contains(err.Error(), "config_path") {
		t.Errorf("read: want not_found naming config_path, got %v", err)
	}
	_, err = fx.c.Write(context.Background(), missing, remotefile.Hash(fx.old), fx.new)
	if !remotefile.IsCode(err, remotefile.CodeError) || !strings.Contains(err.Error(), `Cannot find path 'C:\NoSuchFolder'`) {
		t.Errorf("write: want an error naming the missing folder, got %v", err)
	}
	if !bytes.Equal(fx.live(t), fx.old) {
		t.Error("the live file changed")
	}
}
