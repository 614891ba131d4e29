package wsman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Executor runs one command a client started with the Command action.
//
// stdin yields the bytes of the client's Send requests and io.EOF after the
// Send with End="true"; once ctx is cancelled it fails with ErrTerminated.
// What Execute writes to stdout and stderr is delivered to the client in
// Receive responses; a write blocks while the client is behind by more than a
// bounded amount, and fails with ErrTerminated once ctx is cancelled.
// Execute returns the process exit code. ctx is cancelled when the client
// sends Signal terminate (or ctrl_c/ctrl_break), deletes the shell, or the
// server is closed; Execute must return soon after.
//
// A command that reads stdin when the client sends none blocks until it is
// terminated, as a Windows process reading a console nobody writes to would.
type Executor interface {
	Execute(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) (exitCode int)
}

// ExecutorFunc adapts a function to the Executor interface.
type ExecutorFunc func(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int {
	return f(ctx, cmd, stdin, stdout, stderr)
}

// Command describes a command a client started.
type Command struct {
	ShellID   string
	CommandID string
	// CommandLine is the command line Windows would start: the text of
	// rsp:Command, then each rsp:Arguments after a space (masterzen sends
	// the whole line in rsp:Command, pywinrm's run_cmd splits it).
	CommandLine string
	// Arguments are the rsp:Arguments elements, in order.
	Arguments []string
	// Options are the Command's w:OptionSet (WINRS_CONSOLEMODE_STDIN,
	// WINRS_SKIP_CMD_SHELL), by name.
	Options map[string]string
	// PipeStdin is WINRS_CONSOLEMODE_STDIN=FALSE: stdin is a pipe fed by
	// Send, not a console input buffer.
	PipeStdin bool
	// User is the authenticated user that owns the shell.
	User string
}

// OptionConsoleModeStdin is the Command option that chooses a console (TRUE,
// the default) or a pipe (FALSE) for stdin (MS-WSMV 3.1.4.11).
const OptionConsoleModeStdin = "WINRS_CONSOLEMODE_STDIN"

// ErrTerminated is returned by the stdin reader and the output writers of a
// command whose context has been cancelled.
var ErrTerminated = errors.New("wsman: command terminated")

// Buffer limits. Windows pipes block a writer that is ahead of its reader;
// these bounds do the same so that a chatty executor or a fast sender cannot
// grow memory without limit.
const (
	maxStdinBuffered  = 4 << 20 // bytes of Send data not yet read by the executor
	maxOutputBuffered = 1 << 20 // bytes per output stream not yet received
	maxChunkPerStream = 64 << 10
	// replyOverhead is what a Receive reply costs besides the base64 payload
	// (headers, element names, command ids), with generous margin.
	replyOverhead = 4096
	minChunk      = 1024
)

// command is the server side of one command: its executor goroutine, the
// stdin queue fed by Send and the output queues drained by Receive.
//
// All fields below mu are guarded by it. Every state change closes and
// replaces changed, which wakes every waiter (Receive long-polls, a blocked
// stdin read, a blocked output write, a blocked Send) so that each rechecks
// the state it waits for.
type command struct {
	info   Command
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	changed  chan struct{}
	stdin    []byte
	stdinEOF bool
	stdout   []byte
	stderr   []byte
	done     bool // executor returned
	exitCode int
	// doneSent: a Receive reply carried the Done state; from then on the
	// command owes the shell its Signal terminate (see shell.owed).
	doneSent bool
	removed  bool // shell deleted or server closed: pending requests get a fault
}

func newCommand(parent context.Context, info Command) *command {
	ctx, cancel := context.WithCancel(parent)
	c := &command{info: info, ctx: ctx, cancel: cancel, changed: make(chan struct{})}
	// Waiters select on changed; cancellation must wake them too.
	context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.broadcastLocked()
		c.mu.Unlock()
	})
	return c
}

// markDoneSent records that a Receive reply carried the Done state.
func (c *command) markDoneSent() {
	c.mu.Lock()
	c.doneSent = true
	c.mu.Unlock()
}

// broadcastLocked wakes every waiter. c.mu must be held.
func (c *command) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// run executes the command and records its exit code. It is the body of the
// command's goroutine.
func (c *command) run(exec Executor, logf func(string, ...any)) {
	code := func() (code int) {
		defer func() {
			// A panicking executor must not take the whole server (and the
			// test binary or simulator process) down with it.
			if r := recover(); r != nil {
				logf("wsman: executor panicked on command %s: %v", c.info.CommandID, r)
				_, _ = fmt.Fprintf(&outputWriter{c: c, stderr: true}, "wsman: executor panicked: %v\r\n", r)
				code = 1
			}
		}()
		return exec.Execute(c.ctx, c.info, &stdinReader{c}, &outputWriter{c: c}, &outputWriter{c: c, stderr: true})
	}()
	c.mu.Lock()
	c.done, c.exitCode = true, code
	c.broadcastLocked()
	c.mu.Unlock()
	c.cancel() // release the context; nothing of the command runs any more
}

// send queues stdin data from a Send request. It blocks while the executor is
// more than maxStdinBuffered behind, until ctx (the HTTP request) ends.
// Data for a command that has finished or had its input closed is dropped, as
// a pipe nobody reads would: the masterzen client may still be sending when a
// command that ignores stdin exits.
func (c *command) send(ctx context.Context, data []byte, eof bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.removed {
			return errRemoved
		}
		if c.done || c.stdinEOF || c.ctx.Err() != nil {
			return nil
		}
		if len(c.stdin) == 0 || len(c.stdin)+len(data) <= maxStdinBuffered {
			break
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			c.mu.Lock()
			return ctx.Err()
		}
		c.mu.Lock()
	}
	c.stdin = append(c.stdin, data...)
	c.stdinEOF = eof
	c.broadcastLocked()
	return nil
}

var errRemoved = errors.New("wsman: shell deleted")

// output is what one Receive response carries.
type output struct {
	Stdout, Stderr []byte
	Done           bool // all output delivered and the executor returned
	ExitCode       int
}

// receive waits until there is output or the command is done, then takes
// output within budget raw bytes (both streams together, each stream also
// capped at maxChunkPerStream). It returns errTimedOut when timeout passes
// first, errRemoved when the shell goes away, and ctx.Err() when the client
// abandons the request. Done is reported only once both streams are empty, so
// a client always gets every byte before the exit code.
func (c *command) receive(ctx context.Context, timeout time.Duration, budget int) (output, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.removed {
			return output{}, errRemoved
		}
		if len(c.stdout) > 0 || len(c.stderr) > 0 || c.done {
			break
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
			c.mu.Lock()
		case <-timer.C:
			c.mu.Lock()
			return output{}, errTimedOut
		case <-ctx.Done():
			c.mu.Lock()
			return output{}, ctx.Err()
		}
	}
	budget = max(budget, minChunk)
	var out output
	out.Stdout, c.stdout = take(c.stdout, min(maxChunkPerStream, budget))
	// stderr gets what stdout left of the budget; never nothing, so that a
	// stream of stdout cannot starve stderr forever.
	out.Stderr, c.stderr = take(c.stderr, min(maxChunkPerStream, max(budget-len(out.Stdout), minChunk)))
	if c.done && len(c.stdout) == 0 && len(c.stderr) == 0 {
		out.Done, out.ExitCode = true, c.exitCode
	}
	c.broadcastLocked() // writers blocked on a full buffer may go on
	return out, nil
}

var errTimedOut = errors.New("wsman: operation timed out")

// take splits off at most n bytes of buf. The remainder is copied to a new
// slice so that the bytes handed out are never overwritten by later appends.
func take(buf []byte, n int) (head, rest []byte) {
	if len(buf) <= n {
		return buf, nil
	}
	return buf[:n:n], append([]byte(nil), buf[n:]...)
}

// remove marks the command gone (shell deleted, server closed), cancels it
// and fails pending requests.
func (c *command) remove() {
	// Mark first, cancel second: a waiting Receive must see "removed", not
	// the Done state the cancelled executor is about to produce.
	c.mu.Lock()
	c.removed = true
	c.broadcastLocked()
	c.mu.Unlock()
	c.cancel()
}

// stdinReader is the executor's view of the Send data.
type stdinReader struct{ c *command }

func (r *stdinReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.ctx.Err() != nil {
			return 0, ErrTerminated
		}
		if len(c.stdin) > 0 {
			n := copy(p, c.stdin)
			c.stdin = c.stdin[n:]
			if len(c.stdin) == 0 {
				c.stdin = nil // let the backing array go
			}
			c.broadcastLocked() // a Send may be waiting for room
			return n, nil
		}
		if c.stdinEOF {
			return 0, io.EOF
		}
		ch := c.changed
		c.mu.Unlock()
		<-ch // cancellation also broadcasts
		c.mu.Lock()
	}
}

// outputWriter is the executor's stdout or stderr.
type outputWriter struct {
	c      *command
	stderr bool
}

func (w *outputWriter) Write(p []byte) (int, error) {
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	written := 0
	for len(p) > 0 {
		if c.ctx.Err() != nil || c.done {
			return written, ErrTerminated
		}
		buf := &c.stdout
		if w.stderr {
			buf = &c.stderr
		}
		room := maxOutputBuffered - len(*buf)
		if room <= 0 {
			ch := c.changed
			c.mu.Unlock()
			<-ch // a Receive or cancellation broadcasts
			c.mu.Lock()
			continue
		}
		n := min(room, len(p))
		*buf = append(*buf, p[:n]...)
		p = p[n:]
		written += n
		c.broadcastLocked()
	}
	return written, nil
}
