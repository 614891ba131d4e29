package wsman

import (
	"errors"
	"sync"
	"time"
)

// shell is one remote shell created with transfer/Create. Its commands map is
// guarded by mu; the rest is immutable after creation.
type shell struct {
	id       string
	owner    string
	clientIP string
	created  time.Time
	// idle is the rsp:IdleTimeOut granted at Create: a shell that no
	// request addresses for that long is deleted.
	idle time.Duration

	mu       sync.Mutex
	deleted  bool
	commands map[string]*command

	// lastUsed and inflight are guarded by the shellTable's mu: a shell
	// with a request in progress (a held Receive) is never idle.
	lastUsed time.Time
	inflight int
}

// addCommand registers c unless the shell has been deleted meanwhile (a
// Command racing a Delete must not leave an orphan running).
func (sh *shell) addCommand(c *command) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.deleted {
		return false
	}
	sh.commands[c.info.CommandID] = c
	return true
}

func (sh *shell) command(id string) *command {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.commands[id]
}

// owed returns the id of a command whose end was delivered and which was
// not terminated since, or "".
func (sh *shell) owed() string {
	sh.mu.Lock()
	cmds := make([]*command, 0, len(sh.commands))
	for _, c := range sh.commands {
		cmds = append(cmds, c)
	}
	sh.mu.Unlock()
	for _, c := range cmds {
		c.mu.Lock()
		sent := c.doneSent
		c.mu.Unlock()
		if sent {
			return c.info.CommandID
		}
	}
	return ""
}

// forget drops a command after Signal terminate, as Windows does: later
// requests naming it fail, requests already waiting on it still complete.
func (sh *shell) forget(id string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	delete(sh.commands, id)
}

// destroy marks the shell deleted and removes its commands, cancelling them
// and failing the requests that wait on them.
func (sh *shell) destroy() {
	sh.mu.Lock()
	sh.deleted = true
	cmds := sh.commands
	sh.commands = nil
	sh.mu.Unlock()
	for _, c := range cmds {
		c.remove()
	}
}

var (
	errQuota  = errors.New("wsman: shell quota exceeded")
	errClosed = errors.New("wsman: server closed")
)

// shellTable holds the open shells and the per-user counts the quota is
// enforced on. Idle shells expire lazily: every look-up, Create and count
// first deletes the shells idle past their IdleTimeOut, which is what a
// client can observe of Windows' own timer.
type shellTable struct {
	mu      sync.Mutex
	closed  bool
	shells  map[string]*shell
	perUser map[string]int
	now     func() time.Time
	expired int64 // shells deleted for idleness
}

func newShellTable() *shellTable {
	return &shellTable{shells: map[string]*shell{}, perUser: map[string]int{}, now: time.Now}
}

// create opens a shell for owner that expires after idle without requests,
// or fails with errQuota when owner already has limit shells, or errClosed
// after closeAll.
func (t *shellTable) create(owner, clientIP string, limit int, idle time.Duration) (*shell, error) {
	t.mu.Lock()
	gone := t.expireLocked()
	defer func() { t.mu.Unlock(); destroyAll(gone) }()
	if t.closed {
		return nil, errClosed
	}
	if t.perUser[owner] >= limit {
		return nil, errQuota
	}
	now := t.now()
	sh := &shell{
		id: newGUID(), owner: owner, clientIP: clientIP, created: now, idle: idle,
		commands: map[string]*command{}, lastUsed: now,
	}
	t.shells[sh.id] = sh
	t.perUser[owner]++
	return sh, nil
}

// get returns the shell id owned by owner, marked busy until release is
// called. A shell of another user is reported as absent, so ids cannot be
// probed across users.
func (t *shellTable) get(id, owner string) (sh *shell, release func()) {
	t.mu.Lock()
	gone := t.expireLocked()
	defer func() { t.mu.Unlock(); destroyAll(gone) }()
	sh = t.shells[id]
	if sh == nil || sh.owner != owner {
		return nil, func() {}
	}
	sh.inflight++
	sh.lastUsed = t.now()
	return sh, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		sh.inflight--
		sh.lastUsed = t.now()
	}
}

// expireLocked unlinks the shells idle past their IdleTimeOut and returns
// them, to be destroyed once the table's lock is released.
func (t *shellTable) expireLocked() []*shell {
	var gone []*shell
	now := t.now()
	for _, sh := range t.shells {
		if sh.inflight == 0 && sh.idle > 0 && now.Sub(sh.lastUsed) >= sh.idle {
			gone = append(gone, sh)
		}
	}
	for _, sh := range gone {
		t.unlinkLocked(sh)
		t.expired++
	}
	return gone
}

func destroyAll(shells []*shell) {
	for _, sh := range shells {
		sh.destroy()
	}
}

// delete removes and destroys the shell id owned by owner; false if absent.
func (t *shellTable) delete(id, owner string) bool {
	t.mu.Lock()
	sh := t.shells[id]
	if sh == nil || sh.owner != owner {
		t.mu.Unlock()
		return false
	}
	t.unlinkLocked(sh)
	t.mu.Unlock()
	sh.destroy()
	return true
}

func (t *shellTable) unlinkLocked(sh *shell) {
	delete(t.shells, sh.id)
	if t.perUser[sh.owner]--; t.perUser[sh.owner] <= 0 {
		delete(t.perUser, sh.owner)
	}
}

// closeAll destroys every shell and refuses new ones.
func (t *shellTable) closeAll() {
	t.mu.Lock()
	t.closed = true
	var all []*shell
	for _, sh := range t.shells {
		all = append(all, sh)
		t.unlinkLocked(sh)
	}
	t.mu.Unlock()
	for _, sh := range all {
		sh.destroy()
	}
}

// open counts the shells open now (idle ones expired first) and those
// deleted for idleness so far.
func (t *shellTable) open() (open int, expired int64) {
	t.mu.Lock()
	gone := t.expireLocked()
	defer func() { t.mu.Unlock(); destroyAll(gone) }()
	return len(t.shells), t.expired
}
