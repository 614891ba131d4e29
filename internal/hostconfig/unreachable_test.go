package hostconfig

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// transportError is what the WinRM client says about a host: Temporary
// (worth a retry) and Unreachable (the host did not answer) as its Kind says.
type transportError struct {
	msg                    string
	temporary, unreachable bool
}

func (e *transportError) Error() string     { return e.msg }
func (e *transportError) Temporary() bool   { return e.temporary }
func (e *transportError) Unreachable() bool { return e.unreachable }

// TestUnreachableHostOneAnswer: the resources of a host that does not answer
// wait one read budget between them, not one each, and every read and
// write after gets the same error at once, naming the host; a host that
// answers with an error is not called unreachable; a read the caller
// cancels says nothing about the host.
func TestUnreachableHostOneAnswer(t *testing.T) {
	const budget = 300 * time.Millisecond
	refused := &transportError{msg: "dial tcp 10.0.0.3:5985: connection refused", temporary: true, unreachable: true}
	denied := &transportError{msg: "the host answered 401 Unauthorized"}
	for _, tc := range []struct {
		name            string
		opts            Options
		fail            func(ctx context.Context) error // each command's fate
		wantUnreachable bool
		wantCommands    int32 // after 5 reads and a write
		wantText        string
		maxWait         time.Duration
	}{
		{"hung host", Optimized(), func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, true, 1, "context deadline exceeded", 3 * budget},
		{"hung host, naive mode", Options{}, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, true, 1, "context deadline exceeded", 3 * budget},
		{"refused connection, retried", Optimized(), func(context.Context) error { return refused }, true, 4, "connection refused", budget},
		{"refusing host", Optimized(), func(context.Context) error { return denied }, false, 1, "401 Unauthorized", budget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r, _ := setupWith(t, testfixtures.ASPNET, tc.opts)
			s.opts.ReadBudget = budget
			var commands atomic.Int32
			r.before = func(string, int) error { return nil }
			files := s.files
			files.Runner = runnerFunc(func(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
				commands.Add(1)
				return remotefile.Output{}, tc.fail(ctx)
			})
			start := time.Now()
			var wg sync.WaitGroup
			errs := make([]error, 5)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = s.Read(context.Background()) }()
			}
			wg.Wait()
			if waited := time.Since(start); waited > tc.maxWait {
				t.Errorf("5 reads took %s; want one budget (%s) between them", waited, budget)
			}
			_, werr := s.Update(context.Background(), allow(".config"))
			for i, err := range append(errs[:len(errs):len(errs)], werr) {
				if err == nil || IsUnreachable(err) != tc.wantUnreachable || !strings.Contains(err.Error(), tc.wantText) {
					t.Fatalf("answer %d: %v; want unreachable=%t with %q", i, err, tc.wantUnreachable, tc.wantText)
				}
				if tc.wantUnreachable && !strings.Contains(err.Error(), "dp01 did not answer") {
					t.Fatalf("answer %d does not name the host: %v", i, err)
				}
			}
			if n := commands.Load(); n != tc.wantCommands {
				t.Errorf("%d commands sent; want %d", n, tc.wantCommands)
			}
		})
	}
	t.Run("canceled by the caller", func(t *testing.T) {
		s, _, _ := setup(t, testfixtures.ASPNET)
		s.opts.ReadBudget = budget
		var commands atomic.Int32
		sim := s.files.Runner
		s.files.Runner = runnerFunc(func(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
			if commands.Add(1) == 1 {
				<-ctx.Done()
				return remotefile.Output{}, ctx.Err()
			}
			return sim.RunPowerShell(ctx, script, stdin)
		})
		ctx, cancel := context.WithTimeout(context.Background(), budget/3)
		defer cancel()
		if _, err := s.Read(ctx); err == nil || IsUnreachable(err) {
			t.Fatalf("canceled read: %v; want the cancellation, not an unreachable host", err)
		}
		if _, err := s.Read(context.Background()); err != nil {
			t.Fatalf("the read after a canceled one must ask the host again: %v", err)
		}
	})
}

type runnerFunc func(ctx context.Context, script string, stdin []byte) (remotefile.Output, error)

func (f runnerFunc) RunPowerShell(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
	return f(ctx, script, stdin)
}
