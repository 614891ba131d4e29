package hostconfig

import (
	"context"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// busyThenOK answers "busy" (a transient code) n times, then a scan of
// nothing.
type busyThenOK struct{ n, calls int }

func (b *busyThenOK) RunPowerShell(context.Context, string, []byte) (remotefile.Output, error) {
	b.calls++
	if b.calls <= b.n {
		return remotefile.Output{Stdout: remotefile.EncodeResponse(remotefile.ErrorEnvelope{Error: &remotefile.ScriptError{Code: remotefile.CodeBusy, Message: "busy"}}, nil), ExitCode: 1}, nil
	}
	return remotefile.Output{Stdout: remotefile.EncodeResponse(remotefile.ContentResult{Library: `D:\SCCMContentLib`, Pending: []string{}, Missing: []string{}}, nil)}, nil
}

// A transient failure of the scan is retried like a read; a lasting one is
// reported after ReadRetries.
func TestListContentRetries(t *testing.T) {
	for _, tc := range []struct {
		busy, calls int
		ok          bool
	}{{0, 1, true}, {2, 3, true}, {5, 4, false}} {
		r := &busyThenOK{n: tc.busy}
		s := New(&remotefile.Client{Runner: r, Host: "dp01"}, "dp01", `%windir%\x`, Options{ReadRetries: 3, RetryDelay: time.Millisecond})
		lib, err := s.ListContent(context.Background(), remotefile.ContentQuery{})
		if (err == nil) != tc.ok || r.calls != tc.calls {
			t.Errorf("busy %d times: %d calls, err %v; want %d calls, ok=%v", tc.busy, r.calls, err, tc.calls, tc.ok)
		}
		if tc.ok && lib.Path != `D:\SCCMContentLib` {
			t.Errorf("library %q", lib.Path)
		}
	}
}
