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

	mu       sync.Mutex
	deleted  bool
	commands map[string]*command
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
// enforced on.
type shellTable struct {
	mu      sync.Mutex
	closed  bool
	shells  map[string]*shell
	perUser map[string]int
}

func newShellTable() *shellTable {
	return &shellTable{shells: map[string]*shell{}, perUser: map[string]int{}}
}

// create opens a shell for owner, or fails with errQuota when owner already
// has limit shells, or errClosed after closeAll.
func (t *shellTable) create(owner, clientIP string, limit int) (*shell, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	if t.perUser[owner] >= limit {
		return nil, errQuota
	}
	sh := &shell{
		id: newGUID(), owner: owner, clientIP: clientIP, created: time.Now(),
		commands: map[string]*command{},
	}
	t.shells[sh.id] = sh
	t.perUser[owner]++
	return sh, nil
}

// get returns the shell id owned by owner. A shell of another user is
// reported as absent, so ids cannot be probed across users.
func (t *shellTable) get(id, owner string) *shell {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shells[id]
	if sh == nil || sh.owner != owner {
		return nil
	}
	return sh
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

func (t *shellTable) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.shells)
}
