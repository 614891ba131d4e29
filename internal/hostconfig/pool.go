package hostconfig

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// Dialer makes the Runner for a host. It is called once per host per provider
// process, with the context of the first caller (for its log); its error
// should tell the user which setting to fix.
type Dialer func(ctx context.Context, host string) (remotefile.Runner, error)

// Pool hands out one Store per host, so that every resource on a host shares
// its lock and connection.
type Pool struct {
	dial        Dialer
	path        string
	keepBackups int
	opts        Options
	gzip        bool

	canonical func(host string) string

	mu      sync.Mutex
	stores  map[string]*Store
	runners []remotefile.Runner // every runner dialled, for Close
}

// NewPool returns a Pool that edits path on each host; gzip compresses the
// file in both directions. canonical names a host so that two spellings of
// one endpoint share a Store ("dp01" and "DP01:5985" when 5985 is the
// default port); nil folds case only.
func NewPool(dial Dialer, path string, keepBackups int, opts Options, gzip bool, canonical func(host string) string) *Pool {
	if canonical == nil {
		canonical = strings.ToLower
	}
	if opts.Work == nil {
		// Parsing and editing are CPU-bound: a few more at once than the
		// cores keep them busy while others wait on the network.
		opts.Work = NewSlots(runtime.GOMAXPROCS(0) + 2)
	}
	return &Pool{dial: dial, path: path, keepBackups: keepBackups, opts: opts, gzip: gzip, canonical: canonical, stores: map[string]*Store{}}
}

// Canonical names host as the pool keys it: two spellings of one endpoint
// give one name.
func (p *Pool) Canonical(host string) string { return p.canonical(host) }

// Path is the configured file path, as the user wrote it.
func (p *Pool) Path() string { return p.path }

// Store returns the Store for host, dialling it on first use.
func (p *Pool) Store(ctx context.Context, host string) (*Store, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// One endpoint, however spelled, must have one Store (one read per run,
	// one lock, one shell), not race as two.
	key := p.canonical(host)
	if s, ok := p.stores[key]; ok {
		return s, nil
	}
	r, err := p.dial(ctx, host)
	if err != nil {
		return nil, err
	}
	s := New(&remotefile.Client{Runner: r, Host: host, KeepBackups: p.keepBackups, Gzip: p.gzip}, host, p.path, p.opts)
	p.stores[key] = s
	p.runners = append(p.runners, r)
	return s, nil
}

// Closer is a Runner that holds remote state worth releasing when the
// provider stops (WinRM shells kept for reuse).
type Closer interface {
	Close(ctx context.Context) error
}

// Close releases what every host's runner holds, all hosts at once, and
// returns when all are done or ctx ends. The Pool stays usable.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	runners := slices.Clone(p.runners)
	p.mu.Unlock()
	errs := make([]error, len(runners))
	var wg sync.WaitGroup
	for i, r := range runners {
		if c, ok := r.(Closer); ok {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = c.Close(ctx) }()
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PrefetchLimit bounds how many hosts Prefetch reads at once: enough that a
// fleet's reads overlap (each one waits mostly on the host starting
// powershell.exe), few enough that one runner's connections and handshakes
// stay modest.
const PrefetchLimit = 32

// Prefetch reads the file of every host into its Store's cache, at most
// PrefetchLimit at a time, and returns when all have finished. With the
// cache off it does nothing: the reads would be thrown away. Each read is
// the host's read of this run, retries and budget included: a host that
// fails gets its error in the map, and the resources on it get the same
// error from their Store without reading again.
func (p *Pool) Prefetch(ctx context.Context, hosts []string) map[string]error {
	if !p.opts.Cache {
		return nil
	}
	var (
		mu     sync.Mutex
		failed = map[string]error{}
		wg     sync.WaitGroup
		slots  = make(chan struct{}, PrefetchLimit)
	)
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			s, err := p.Store(ctx, h)
			if err == nil {
				err = s.prefetch(ctx)
			}
			if err != nil {
				mu.Lock()
				failed[h] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}
