package hostconfig

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const winPath = `%windir%\System32\inetsrv\config\applicationHost.config`

// simRunner runs scripts on a simulated host in process; before, if set,
// runs ahead of each command and may fail it or change the file.
type simRunner struct {
	host   *dpsim.Host
	before func(script string, n int) error
	after  func(script string, n int) error
	n      atomic.Int32
}

func (r *simRunner) RunPowerShell(_ context.Context, script string, stdin []byte) (remotefile.Output, error) {
	n := int(r.n.Add(1))
	op, _, _, _ := remotefile.DecodeRequest(stdin)
	if r.before != nil {
		if err := r.before(op, n); err != nil {
			return remotefile.Output{}, err
		}
	}
	line, err := pscmd.Encode(script)
	if err != nil {
		return remotefile.Output{}, err
	}
	stdout, stderr, code := r.host.Run(line, stdin)
	if r.after != nil {
		if err := r.after(op, n); err != nil {
			return remotefile.Output{}, err
		}
	}
	return remotefile.Output{Stdout: stdout, Stderr: stderr, ExitCode: code}, nil
}

func setup(t testing.TB, fixture string) (*Store, *simRunner, string) {
	t.Helper()
	return setupWith(t, fixture, Optimized())
}

// modes are the Store configurations every safety test runs in.
var modes = map[string]Options{"optimized": Optimized(), "naive": {}}

func setupWith(t testing.TB, fixture string, opts Options) (*Store, *simRunner, string) {
	t.Helper()
	file := testfixtures.Copy(t, fixture, t.TempDir())
	s, r := simStore(t, file, dpsim.HostOptions{}, opts)
	return s, r, file
}

// simStore is a Store on a simulated DP that serves file, with the host's
// options (failures, IIS's check, an outside writer): every test of the
// engine against the simulator starts here.
func simStore(t testing.TB, file string, host dpsim.HostOptions, opts Options) (*Store, *simRunner) {
	t.Helper()
	h, err := dpsim.NewHostWith(file, host)
	if err != nil {
		t.Fatal(err)
	}
	r := &simRunner{host: h}
	opts.RetryDelay = time.Millisecond
	return New(&remotefile.Client{Runner: r, Host: "dp01", KeepBackups: 2, Gzip: opts.Cache}, "dp01", winPath, opts), r
}

func allow(ext string) Edit {
	return func(d *apphost.Doc) ([]byte, error) {
		out, _, err := d.CreateFileExtension("", ext, true)
		return out, err
	}
}

func TestUpdateWritesAndKeepsBoundedBackups(t *testing.T) {
	s, _, file := setup(t, "applicationHost.aspnet-full.config")
	orig, _ := os.ReadFile(file)
	for _, ext := range []string{".config", ".mdb", ".cs", ".vb"} {
		if _, err := s.Update(context.Background(), allow(ext)); err != nil {
			t.Fatalf("update %s: %v", ext, err)
		}
	}
	now, _ := os.ReadFile(file)
	want := orig
	var versions [][]byte // the file before each update
	for _, ext := range []string{".config", ".mdb", ".cs", ".vb"} {
		versions = append(versions, want)
		want = bytes.Replace(want, []byte(`<add fileExtension="`+ext+`" allowed="false" />`), []byte(`<add fileExtension="`+ext+`" allowed="true" />`), 1)
	}
	if !bytes.Equal(now, want) {
		t.Fatal("file on disk is not the original with exactly the four entries changed")
	}
	backups, _ := filepath.Glob(file + ".tf-backup-*") // sorted: oldest first
	tmps, _ := filepath.Glob(file + ".tf-*.tmp")
	if len(backups) != 2 || len(tmps) != 0 {
		t.Fatalf("backups %v, temporary files %v: want 2 backups and no temporary file", backups, tmps)
	}
	// The backups kept are the newest: byte for byte the file each of the
	// last two updates replaced.
	for i, b := range backups {
		got, _ := os.ReadFile(b)
		if !bytes.Equal(got, versions[2+i]) {
			t.Errorf("backup %s is not the file update %d replaced", filepath.Base(b), 3+i)
		}
	}
}

func TestOutsideWriterBetweenReadAndWrite(t *testing.T) {
	for mode, opts := range modes {
		t.Run(mode, func(t *testing.T) {
			s, r, file := setupWith(t, "applicationHost.aspnet-full.config", opts)
			// Like IIS Manager: an edit lands after our read, before our write.
			var edits int
			r.before = func(op string, _ int) error {
				if op == remotefile.WriteScript && edits < 2 {
					edits++
					b, _ := os.ReadFile(file)
					b = bytes.Replace(b, []byte(`<add fileExtension=".java" allowed="false" />`), []byte(`<add fileExtension=".java" allowed="true" />`), 1)
					b = append(b, []byte("<!-- outside edit "+string(rune('0'+edits))+" -->\r\n")...)
					return os.WriteFile(file, b, 0o644)
				}
				return nil
			}
			if _, err := s.Update(context.Background(), allow(".config")); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(file)
			for _, want := range []string{`<add fileExtension=".config" allowed="true" />`, `<add fileExtension=".java" allowed="true" />`, "<!-- outside edit 2 -->"} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("lost: %s", want)
				}
			}
		})
	}
}

func TestEndlessConflictGivesUpWithoutWriting(t *testing.T) {
	for mode, opts := range modes {
		t.Run(mode, func(t *testing.T) {
			s, r, file := setupWith(t, "applicationHost.aspnet-full.config", opts)
			var n int
			r.before = func(op string, _ int) error {
				if op == remotefile.WriteScript {
					n++
					b, _ := os.ReadFile(file)
					return os.WriteFile(file, append(b, []byte("<!-- busy -->\r\n")...), 0o644)
				}
				return nil
			}
			_, err := s.Update(context.Background(), allow(".config"))
			if err == nil || !strings.Contains(err.Error(), "kept changing") || !strings.Contains(err.Error(), "dp01") {
				t.Fatalf("want a conflict error naming the host, got %v", err)
			}
			b, _ := os.ReadFile(file)
			if bytes.Contains(b, []byte(`<add fileExtension=".config" allowed="true" />`)) || n != DefaultAttempts {
				t.Fatalf("write attempts %d (want %d); our change must not be there", n, DefaultAttempts)
			}
		})
	}
}

func TestWriteAnswerLost(t *testing.T) {
	cases := []struct {
		name    string
		before  bool // fail before the script runs, or after
		wantErr string
	}{
		{"connection drops after the replace", false, ""},
		{"connection drops before the script runs", true, "the change was not applied (the file is unchanged)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, r, file := setupWith(t, "applicationHost.aspnet-full.config", Options{})
			orig, _ := os.ReadFile(file)
			drop := func(op string, _ int) error {
				if op == remotefile.WriteScript {
					return errors.New("connection reset by peer")
				}
				return nil
			}
			if tc.before {
				r.before = drop
			} else {
				r.after = drop
			}
			_, err := s.Update(context.Background(), allow(".config"))
			now, _ := os.ReadFile(file)
			if tc.wantErr == "" {
				if err != nil || !bytes.Contains(now, []byte(`<add fileExtension=".config" allowed="true" />`)) {
					t.Fatalf("the replace happened, so the update must succeed: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !bytes.Equal(now, orig) {
				t.Fatalf("got %v; file unchanged: %v", err, bytes.Equal(now, orig))
			}
		})
	}
}

func TestBrokenFileIsNeverWritten(t *testing.T) {
	for mode, opts := range modes {
		t.Run(mode, func(t *testing.T) {
			s, r, file := setupWith(t, "applicationHost.aspnet-full.config", opts)
			b, _ := os.ReadFile(file)
			broken := b[:len(b)-200]
			if err := os.WriteFile(file, broken, 0o644); err != nil {
				t.Fatal(err)
			}
			var writes int
			r.before = func(op string, _ int) error {
				if op == remotefile.WriteScript {
					writes++
				}
				return nil
			}
			_, err := s.Update(context.Background(), allow(".config"))
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "dp01") || !strings.Contains(err.Error(), `C:\Windows\System32\inetsrv\config\applicationHost.config`) ||
				!strings.Contains(err.Error(), "line ") || !strings.Contains(err.Error(), "nothing was written") || writes != 0 {
				t.Fatalf("got %v (writes %d)", err, writes)
			}
		})
	}
}

func TestUnknownScriptIsAnError(t *testing.T) {
	_, r, _ := setup(t, "applicationHost.base-noaspnet.config")
	line, _ := pscmd.Encode("Remove-Item C:\\ -Recurse")
	if _, stderr, code := r.host.Run(line, nil); code == 0 || !strings.Contains(string(stderr), "does not know") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	in, _ := remotefile.EncodeRequest("Get-Process", remotefile.ReadParams{}, nil)
	loader, _ := pscmd.Encode(remotefile.Loader)
	if _, stderr, code := r.host.Run(loader, in); code == 0 || !strings.Contains(string(stderr), "does not know this script") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// The host checks the new file after the replace (appcmd on Windows); when it
// refuses, the old file is back, the error says so, and nothing is left over.
func TestHostRejectsTheNewFile(t *testing.T) {
	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	orig, _ := os.ReadFile(file)
	s, _ := simStore(t, file, dpsim.HostOptions{Validate: func([]byte) error {
		return errors.New("Cannot add duplicate collection entry of type 'add'")
	}}, Optimized())
	_, err := s.Update(context.Background(), allow(".config"))
	if err == nil || !strings.Contains(err.Error(), "IIS rejected the new file") || !strings.Contains(err.Error(), "the previous file was put back") || !strings.Contains(err.Error(), "the change was not applied") {
		t.Fatalf("got %v", err)
	}
	now, _ := os.ReadFile(file)
	tmps, _ := filepath.Glob(file + ".tf-*.tmp")
	if !bytes.Equal(now, orig) || len(tmps) > 0 {
		t.Fatalf("the old file must be back with nothing left over (temporary files %v)", tmps)
	}
}
