package hostconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// countOps counts the runner's commands by script, and the bytes they move.
type counts struct {
	reads, writes atomic.Int32
}

func (c *counts) hook(r *simRunner) {
	r.before = func(op string, _ int) error {
		switch op {
		case remotefile.ReadScript:
			c.reads.Add(1)
		case remotefile.WriteScript:
			c.writes.Add(1)
		}
		return nil
	}
}

func TestRefreshCostsOneCommandPerHost(t *testing.T) {
	for mode, opts := range modes {
		t.Run(mode, func(t *testing.T) {
			s, r, _ := setupWith(t, testfixtures.ASPNET, opts)
			var c counts
			c.hook(r)
			var wg sync.WaitGroup
			for i := 0; i < 5; i++ { // five resources refreshing at once
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Read(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			want := int32(5)
			if opts.Cache {
				want = 1
			}
			if got := c.reads.Load(); got != want {
				t.Fatalf("%d read commands for 5 reads, want %d", got, want)
			}
		})
	}
}

func TestGroupCommit(t *testing.T) {
	s, r, file := setup(t, testfixtures.ASPNET)
	var c counts
	c.hook(r)
	exts := []string{".config", ".mdb", ".cs", ".vb", ".java"}
	var wg sync.WaitGroup
	errs := make([]error, len(exts)+1)
	for i, ext := range exts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Update(context.Background(), allow(ext))
		}()
	}
	wg.Add(1)
	go func() { // one edit in the batch fails: only its caller hears of it
		defer wg.Done()
		_, errs[len(exts)] = s.Update(context.Background(), func(*apphost.Doc) ([]byte, error) {
			return nil, errors.New("this edit is refused")
		})
	}()
	wg.Wait()
	for i, err := range errs[:len(exts)] {
		if err != nil {
			t.Errorf("%s: %v", exts[i], err)
		}
	}
	if errs[len(exts)] == nil || !strings.Contains(errs[len(exts)].Error(), "this edit is refused") {
		t.Errorf("the failing edit got %v", errs[len(exts)])
	}
	b, _ := os.ReadFile(file)
	for _, ext := range exts {
		if !bytes.Contains(b, []byte(fmt.Sprintf(`<add fileExtension="%s" allowed="true" />`, ext))) {
			t.Errorf("%s not allowed in the file", ext)
		}
	}
	if w, rd := c.writes.Load(), c.reads.Load(); w != 1 || rd != 1 {
		t.Fatalf("%d writes and %d reads for 6 concurrent edits, want 1 and 1", w, rd)
	}
	t.Logf("6 concurrent edits: %d read, %d write", c.reads.Load(), c.writes.Load())
}

// A write from the cached copy after an outside edit: refused by hash,
// re-read, re-applied; both edits survive.
func TestStaleCacheIsNeverWritten(t *testing.T) {
	s, _, file := setup(t, testfixtures.ASPNET)
	if _, err := s.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	b = bytes.Replace(b, []byte(`<add fileExtension=".cs" allowed="false" />`), []byte(`<add fileExtension=".cs" allowed="true" />`), 1)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(context.Background(), allow(".config")); err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(file)
	if !bytes.Contains(now, []byte(`<add fileExtension=".cs" allowed="true" />`)) || !bytes.Contains(now, []byte(`<add fileExtension=".config" allowed="true" />`)) {
		t.Fatal("an edit was lost")
	}
	if st := s.Stats(); st.Conflicts != 1 {
		t.Fatalf("stats %+v: want exactly one conflict", st)
	}
}

// measure wraps a runner to count the bytes of stdin and stdout.
type measure struct {
	remotefile.Runner
	in, out atomic.Int64
}

func (m *measure) RunPowerShell(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
	o, err := m.Runner.RunPowerShell(ctx, script, stdin)
	m.in.Add(int64(len(stdin)))
	m.out.Add(int64(len(o.Stdout)))
	return o, err
}

func TestCompressionShrinksTransfers(t *testing.T) {
	size := int64(len(testfixtures.Read(t, testfixtures.ASPNET)))
	for _, gz := range []bool{false, true} {
		_, r, _ := setupWith(t, testfixtures.ASPNET, Options{})
		m := &measure{Runner: r}
		c := &remotefile.Client{Runner: m, Host: "dp01", KeepBackups: 2, Gzip: gz}
		f, err := c.Read(context.Background(), winPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(context.Background(), winPath, f.SHA256, f.Content); err != nil {
			t.Fatal(err)
		}
		readRatio := float64(m.out.Load()) / float64(2*size) // two commands answered
		writeRatio := float64(m.in.Load()) / float64(2*size)
		t.Logf("gzip=%v: stdout %.2f x file size per command, stdin %.2f x", gz, readRatio, writeRatio)
		if gz && (readRatio > 0.35 || writeRatio > 0.35) {
			t.Fatalf("with gzip the transfers are %.2f and %.2f of the file size, over 0.35", readRatio, writeRatio)
		}
	}
}

type tempErr struct{}

func (tempErr) Error() string   { return "connection reset by peer" }
func (tempErr) Temporary() bool { return true }

func TestReadsRetryTransientErrorsOnly(t *testing.T) {
	cases := []struct {
		name      string
		failures  int
		err       error
		wantErr   bool
		wantReads int32
	}{
		{"two drops then success", 2, tempErr{}, false, 3},
		{"drops beyond the retries", 10, tempErr{}, true, 4},
		{"not transient: no retry", 10, errors.New("401 unauthorized"), true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, r, _ := setupWith(t, testfixtures.ASPNET, Options{})
			var reads atomic.Int32
			r.before = func(op string, _ int) error {
				if n := reads.Add(1); int(n) <= tc.failures {
					return tc.err
				}
				return nil
			}
			_, err := s.Read(context.Background())
			if (err != nil) != tc.wantErr || reads.Load() != tc.wantReads {
				t.Fatalf("err %v after %d reads; want error %v after %d", err, reads.Load(), tc.wantErr, tc.wantReads)
			}
		})
	}
}
