package winrmclient

import (
	"context"
	"sync"
	"time"
)

// shellPool keeps the shells of finished commands for the next ones, so a
// run of commands on a host costs one Create and one Delete instead of one
// per command (a Create also costs the host a process start). A shell is
// used by one command at a time; a shell idle for ShellIdleTimeout is
// released (its owed Signal, then Delete), and the host is asked to expire
// it itself after twice that (rsp:IdleTimeOut), at least a second, in case
// this process is killed first. A kept shell
// remembers its last command, whose Signal terminate is owed before the
// shell's next command (see command.go).
type shellPool struct {
	mu    sync.Mutex
	idle  []idleShell
	timer *time.Timer
	bg    sync.WaitGroup // background deletions
}

type idleShell struct {
	id        string
	owedCmdID string // the last command, not yet signalled
	since     time.Time
}

// get returns an idle shell, or ok false when there is none.
func (p *shellPool) get(c *Client) (s idleShell, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireLocked(c)
	if len(p.idle) == 0 {
		return idleShell{}, false
	}
	s = p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return s, true
}

// put keeps a shell whose command cmdID finished cleanly.
func (p *shellPool) put(id, cmdID string, c *Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, idleShell{id: id, owedCmdID: cmdID, since: time.Now()})
	for len(p.idle) > maxIdleShells {
		old := p.idle[0]
		p.idle = p.idle[1:]
		p.backgroundLocked(func() { c.releaseShell(context.Background(), old) })
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(c.cfg.ShellIdleTimeout, func() { p.sweep(c) })
	} else {
		p.timer.Reset(c.cfg.ShellIdleTimeout)
	}
}

// sweep deletes the shells idle for ShellIdleTimeout.
func (p *shellPool) sweep(c *Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireLocked(c)
	if len(p.idle) > 0 {
		p.timer.Reset(time.Until(p.idle[0].since.Add(c.cfg.ShellIdleTimeout)) + 10*time.Millisecond)
	}
}

func (p *shellPool) expireLocked(c *Client) {
	keep := p.idle[:0]
	for _, s := range p.idle {
		if time.Since(s.since) >= c.cfg.ShellIdleTimeout {
			p.backgroundLocked(func() { c.releaseShell(context.Background(), s) })
			continue
		}
		keep = append(keep, s)
	}
	p.idle = keep
}

// background runs a clean-up (a Delete) that nobody waits for, except Close.
func (p *shellPool) background(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backgroundLocked(f)
}

func (p *shellPool) backgroundLocked(f func()) {
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		f()
	}()
}

// drain empties the pool and returns the shells it held.
func (p *shellPool) drain() []idleShell {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
	}
	all := p.idle
	p.idle = nil
	return all
}

// wait waits for background deletions, at most until ctx ends.
func (p *shellPool) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { p.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
