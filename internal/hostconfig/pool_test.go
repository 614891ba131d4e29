package hostconfig

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestPoolStorePerHost: spellings of one host share a Store; other hosts
// (or ports) get their own, each dialled once.
func TestPoolStorePerHost(t *testing.T) {
	// As the provider names hosts: name and port, the default port filled in.
	withPort := func(h string) string {
		if !strings.Contains(h, ":") {
			h += ":5985"
		}
		return strings.ToLower(h)
	}
	for _, tc := range []struct {
		name           string
		canonical      func(string) string
		same, distinct [2]string
	}{
		{"case folded by default", nil, [2]string{"DP01.corp.example", "dp01.corp.example"}, [2]string{"dp01.corp.example", "dp02.corp.example"}},
		{"the provider's endpoint names", withPort, [2]string{"dp01", "DP01:5985"}, [2]string{"dp01", "dp01:5986"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dials := 0
			p := NewPool(func(context.Context, string) (remotefile.Runner, error) { dials++; return nil, nil }, winPath, 2, Optimized(), true, tc.canonical)
			a, _ := p.Store(context.Background(), tc.same[0])
			b, _ := p.Store(context.Background(), tc.same[1])
			c, _ := p.Store(context.Background(), tc.distinct[1])
			if a != b || a == c || dials != 2 {
				t.Fatalf("stores %p %p %p after %d dials: want %q and %q shared, %q apart", a, b, c, dials, tc.same[0], tc.same[1], tc.distinct[1])
			}
		})
	}
}

// TestPoolPrefetch: each listed host is read once, the reads overlap, and
// the resources' reads that follow are answered from the cache. A host that
// fails is reported, and its resources get that answer without another
// read; in the naive mode nothing is read ahead.
func TestPoolPrefetch(t *testing.T) {
	hosts := []string{"dp01", "dp02", "dp03", "dead"}
	for _, tc := range []struct {
		name      string
		opts      Options
		wantReads int // by Prefetch, on each live host
	}{
		{"optimized", Optimized(), 1},
		{"naive", Options{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				dialled = map[string]bool{}
				live    atomic.Int32 // reads in progress
				peak    atomic.Int32
			)
			release := make(chan struct{})
			// The hosts are set up here, on the test's goroutine: a setup
			// that fails stops the test (FailNow works on no other).
			runners := map[string]*simRunner{}
			for _, h := range hosts {
				_, r, _ := setupWith(t, testfixtures.ASPNET, tc.opts)
				r.before = func(string, int) error {
					peak.Store(max(peak.Load(), live.Add(1)))
					<-release // hold every read until all have started
					live.Add(-1)
					if h == "dead" {
						return errors.New("connection refused")
					}
					return nil
				}
				runners[h] = r
			}
			dial := func(_ context.Context, h string) (remotefile.Runner, error) {
				mu.Lock()
				defer mu.Unlock()
				dialled[h] = true
				return runners[h], nil
			}
			p := NewPool(dial, winPath, 2, tc.opts, tc.opts.Cache, nil)
			done := make(chan map[string]error)
			go func() { done <- p.Prefetch(context.Background(), hosts) }()
			if tc.wantReads > 0 {
				// Until all four reads are in flight at once; a prefetch
				// that reads one host after another never gets there.
				deadline := time.Now().Add(30 * time.Second)
				for peak.Load() < int32(len(hosts)) {
					if time.Now().After(deadline) {
						close(release)
						<-done
						t.Fatalf("at most %d of %d prefetch reads were in flight at once after 30 s; want all of them", peak.Load(), len(hosts))
					}
					time.Sleep(time.Millisecond)
				}
			}
			close(release)
			failed := <-done
			if tc.wantReads == 0 {
				if len(failed) != 0 || len(dialled) != 0 {
					t.Fatalf("naive mode: %d hosts dialled, failures %v; want nothing done", len(dialled), failed)
				}
				return
			}
			if len(failed) != 1 || failed["dead"] == nil || !strings.Contains(failed["dead"].Error(), "connection refused") {
				t.Fatalf("failures %v; want dead's alone", failed)
			}
			for _, h := range hosts {
				s, _ := p.Store(context.Background(), h)
				if st := s.Stats(); st.Reads != 1 || st.ReadRetries != 0 {
					t.Errorf("%s: %d reads, %d retries by Prefetch; want 1 read, no retry", h, st.Reads, st.ReadRetries)
				}
				if h == "dead" {
					if _, err := s.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") || s.Stats().Reads != 1 {
						t.Errorf("dead: a resource's read after the failed prefetch: %v after %d reads; want the prefetch's answer, no new read", err, s.Stats().Reads)
					}
					continue
				}
				for range 5 { // the resources on the host
					if _, err := s.Read(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				if st := s.Stats(); st.Reads != 1 || st.CacheHits != 5 {
					t.Errorf("%s: %d reads and %d cache hits after 5 resource reads; want 1 and 5", h, st.Reads, st.CacheHits)
				}
			}
		})
	}
}

// closingRunner is a Runner that holds shells to release.
type closingRunner struct {
	remotefile.Runner
	closed *atomic.Int32
	block  bool // Close waits for its context, as a host that does not answer
}

func (r closingRunner) Close(ctx context.Context) error {
	if r.block {
		<-ctx.Done()
		return ctx.Err()
	}
	r.closed.Add(1)
	return nil
}

// TestPoolClose: Close releases the runner of every host dialled, all at
// once, skips runners with nothing to release, and returns when its
// context ends even if a host does not answer.
func TestPoolClose(t *testing.T) {
	var closed atomic.Int32
	p := NewPool(func(_ context.Context, h string) (remotefile.Runner, error) {
		switch h {
		case "plain":
			return nil, nil // holds nothing
		case "stuck":
			return closingRunner{closed: &closed, block: true}, nil
		}
		return closingRunner{closed: &closed}, nil
	}, winPath, 2, Optimized(), true, nil)
	for _, h := range []string{"dp01", "dp02", "DP01", "plain"} {
		if _, err := p.Store(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(context.Background()); err != nil || closed.Load() != 2 {
		t.Fatalf("Close: %v, %d runners closed; want the 2 hosts' runners", err, closed.Load())
	}
	if _, err := p.Store(context.Background(), "stuck"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Close with a host that does not answer: %v after %v", err, time.Since(start))
	}
}
