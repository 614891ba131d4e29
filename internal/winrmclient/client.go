// Package winrmclient runs PowerShell scripts on a Windows host over WinRM.
//
// It builds its WS-Management messages with github.com/masterzen/winrm's
// exported builders, drives the command loop itself (command.go), reads
// every reply with its own parser (reply.go), and installs its own
// transport, because the library's transports treat any SOAP body as
// success whatever the HTTP status (a fault on Receive then makes it
// re-poll in a tight loop), panic on empty or non-XML bodies, report a 401
// as "invalid content type", and its NTLM encryption handshakes again for
// every message, shares that state between goroutines and silently falls
// back to unencrypted NTLM. Ours owns its connections: NTLM (bodgit/ntlmssp)
// and Kerberos (gokrb5, with mutual authentication) authenticate a
// connection once, and over HTTP their context seals every message of it; Basic and client certificates ride on each
// request. Failures come back as *Error with a Kind, the host, port and
// auth scheme, and the likely fix. Shells are reused across commands
// (Config.Naive turns that off).
package winrmclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/masterzen/winrm"
)

const (
	// envelopeSize is the MaxEnvelopeSize the client announces, the
	// library's default. Input is sent in chunks just below it.
	envelopeSize = 153600
	// maxOperationTimeout caps the WS-Man OperationTimeout: it is how long
	// the host may hold one Receive, not how long the command may run.
	maxOperationTimeout = 60 * time.Second
	// headerSlack is how much longer than the OperationTimeout we wait for
	// response headers: the host answers a held Receive at OperationTimeout.
	headerSlack = 15 * time.Second
	// defaultCleanupTimeout bounds Signal and Delete, which are sent even
	// after the command's context ended so the remote shell is released.
	defaultCleanupTimeout = 15 * time.Second
	dialTimeout           = 30 * time.Second
	tlsHandshakeTimeout   = 15 * time.Second
	// maxIdleShells is how many shells a client keeps for reuse; commands
	// running at the same time beyond that get shells deleted after use.
	maxIdleShells = 2
)

// Client runs commands on one host. It is safe for concurrent use: each
// exchange takes a connection of its own from the client's pool, and each
// command a shell of its own.
type Client struct {
	cfg            Config
	url            string
	addr           string          // host:port to dial
	tls            *tls.Config     // nil over HTTP
	endpoint       *winrm.Endpoint // what the library puts in a:To
	errs           errorFactory
	auth           authScheme
	pool           connPool
	shells         shellPool
	stats          counters
	opTimeout      time.Duration
	readTimeout    time.Duration // how long a reply may take: a held Receive lasts the OperationTimeout
	cleanupTimeout time.Duration
}

// Result is the outcome of a command that ran to completion. A non-zero
// ExitCode is not an error: the caller decides what it means.
type Result struct {
	Stdout   []byte
	Stderr   []byte // decoded from CLIXML when PowerShell serialized it
	ExitCode int
}

// New validates cfg and builds a Client. It does not connect. Invalid
// settings are reported as *ConfigError values joined with errors.Join.
func New(cfg Config) (*Client, error) {
	cfg, err := normalize(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:            cfg,
		opTimeout:      operationTimeout(cfg.Timeout),
		cleanupTimeout: defaultCleanupTimeout,
		errs: errorFactory{
			host: cfg.Host, port: cfg.Port, auth: cfg.Auth, username: cfg.Username, https: cfg.HTTPS,
			plainHTTP: !cfg.HTTPS && cfg.Auth != AuthNTLM && cfg.Auth != AuthKerberos,
		},
	}
	c.readTimeout = c.opTimeout + headerSlack
	scheme := "http"
	if cfg.HTTPS {
		scheme = "https"
	}
	c.addr = net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	c.url = scheme + "://" + c.addr + "/wsman"

	// The library formats its URL as host:port without brackets.
	libHost := cfg.Host
	if ip := net.ParseIP(cfg.Host); ip != nil && ip.To4() == nil {
		libHost = "[" + cfg.Host + "]"
	}
	c.endpoint = &winrm.Endpoint{Host: libHost, Port: cfg.Port, HTTPS: cfg.HTTPS, Timeout: c.readTimeout}

	if cfg.HTTPS {
		if c.tls, err = tlsConfig(cfg); err != nil {
			return nil, err
		}
	}
	switch cfg.Auth {
	case AuthBasic:
		c.auth = newBasicAuth(cfg.Username, cfg.Password)
	case AuthCertificate:
		c.auth = certAuth{}
	case AuthKerberos:
		if c.auth, err = newKerberosAuth(cfg); err != nil {
			return nil, errors.Join(err)
		}
	default:
		c.auth = ntlmAuth{}
	}
	return c, nil
}

// Stats are a client's counters since New, for benchmarks and tests.
type Stats struct {
	// Commands counts RunPowerShell calls that reached the host.
	Commands int64
	// Exchanges counts HTTP request/response pairs, handshake legs included.
	Exchanges int64
	// Handshakes counts connections authenticated (NTLM, Kerberos);
	// Connections counts TCP connections opened.
	Handshakes, Connections int64
	// BytesSent and BytesReceived count bytes on the wire (TLS included).
	BytesSent, BytesReceived int64
	// ShellsCreated and ShellsDeleted count remote shells; ShellsReused
	// counts commands run in a shell an earlier command used, and
	// ShellRecoveries reused shells the host had dropped (a new one was
	// created and the command ran there).
	ShellsCreated, ShellsDeleted, ShellsReused, ShellRecoveries int64
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Commands: c.stats.commands.Load(), Exchanges: c.stats.exchanges.Load(),
		Handshakes: c.stats.handshakes.Load(), Connections: c.stats.dials.Load(),
		BytesSent: c.stats.bytesSent.Load(), BytesReceived: c.stats.bytesReceived.Load(),
		ShellsCreated: c.stats.shellsCreated.Load(), ShellsDeleted: c.stats.shellsDeleted.Load(),
		ShellsReused: c.stats.shellsReused.Load(), ShellRecoveries: c.stats.shellsRecovered.Load(),
	}
}

// Close releases the shells kept for reuse (the Signal their last command
// is owed, then Delete: a shell left open holds one of the user's
// MaxShellsPerUser until the host's IdleTimeOut) and closes idle
// connections, waiting at most until ctx ends. The Client stays usable.
func (c *Client) Close(ctx context.Context) error {
	kept := c.shells.drain()
	var wg sync.WaitGroup
	for _, s := range kept {
		wg.Add(1)
		go func() { defer wg.Done(); c.releaseShell(ctx, s) }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	c.shells.wait(ctx)
	c.pool.closeAll()
	return ctx.Err()
}

// operationTimeout derives the WS-Man OperationTimeout from the command
// timeout: whole seconds between 1s and maxOperationTimeout.
func operationTimeout(cmdTimeout time.Duration) time.Duration {
	d := min(cmdTimeout, maxOperationTimeout).Truncate(time.Second)
	return max(d, time.Second)
}

// Endpoint returns the WS-Management URL, for messages.
func (c *Client) Endpoint() string { return c.url }

// String never shows the password.
func (c *Client) String() string { return "winrmclient.Client{" + c.url + " auth " + c.cfg.Auth + "}" }

// Format routes every verb through String: fmt prints unexported fields
// (the password among them) raw for %+v and %#v otherwise.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// RunPowerShell runs script in powershell.exe on the host, with stdin as the
// process's standard input (end of input is always signalled, so a script
// reading [Console]::In.ReadToEnd() returns), and returns its output.
//
// The command is bounded by Config.Timeout and ctx. The call returns when
// either ends even if the library is stuck; the remote command is then
// terminated and its shell deleted in the background.
//
// Failures are *Error (see Kind); a script too long for the command line is
// a plain error from pscmd. On a failure after the command started, Result
// holds the output received so far.
func (c *Client) RunPowerShell(ctx context.Context, script string, stdin []byte) (Result, error) {
	cmdline, err := pscmd.Encode(script)
	if err != nil {
		return Result{}, fmt.Errorf("winrmclient: %w", err)
	}
	limit := c.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < limit {
		limit = time.Until(dl)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		func() {
			defer func() {
				if p := recover(); p != nil {
					o.err = c.errs.new(KindProtocol, "run command", fmt.Sprintf("internal error in the WinRM client library: %v", p), "", nil)
				}
			}()
			o.res, o.err = c.run(ctx, cmdline, stdin)
		}()
		done <- o
	}()

	select {
	case o := <-done:
		if o.err != nil && ctx.Err() != nil {
			return o.res, c.ctxErr(ctx, limit)
		}
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, c.ctxErr(ctx, limit)
	}
}

// ctxErr reports the end of the command's context: the timeout (naming its
// value) or the caller's cancellation.
func (c *Client) ctxErr(ctx context.Context, limit time.Duration) *Error {
	err := ctx.Err()
	if err == context.DeadlineExceeded {
		return c.errs.new(KindTimeout, "run command",
			fmt.Sprintf("the command did not finish within the timeout of %s", limit.Round(10*time.Millisecond)),
			"Increase timeout, or check on the host whether the command hangs (waiting for input or a prompt) or the host is overloaded", err)
	}
	return c.errs.new(KindCanceled, "run command", "the command was canceled", "", err)
}

// run drives one command (command.go): a shell (reused, or Create),
// Command, Send (the input with End), Receive until Done. The shell is kept
// for the next command with its Signal owed, or, when reuse is off, the
// command is signalled and the shell deleted. After a failure the command
// is terminated and its shell deleted in the background.
func (c *Client) run(ctx context.Context, cmdline string, stdin []byte) (Result, error) {
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	st := newRunState(runCtx)
	wc, err := c.libClient(st)
	if err != nil {
		return Result{}, err
	}
	c.stats.commands.Add(1)

	shellID, reused, err := c.takeShell(wc, st)
	if err != nil {
		return Result{}, err
	}
	cmdID, err := c.startCommand(wc, st, shellID, cmdline)
	if err != nil && reused && shellGone(err) {
		// The host no longer knows the reused shell (it expired, or the
		// service restarted): run the command once more in a new shell.
		c.stats.shellsRecovered.Add(1)
		st.clear()
		if shellID, err = c.createShell(wc, st); err != nil {
			return Result{}, err
		}
		cmdID, err = c.startCommand(wc, st, shellID, cmdline)
	}
	if err != nil {
		c.dropShell(shellID, "")
		return Result{}, err
	}

	res, err := Result{}, c.sendInput(wc, st, shellID, cmdID, stdin, c.cfg.Naive)
	if err == nil {
		res, err = c.receive(wc, st, shellID, cmdID)
	}
	if isCLIXML(res.Stderr) {
		res.Stderr = []byte(DecodeCLIXML(string(res.Stderr)))
	}
	switch {
	case err != nil:
		// The shell's state is unknown after a failure: stop the command
		// (it may still run) and delete the shell rather than reuse it.
		c.dropShell(shellID, cmdID)
		return res, err
	case c.cfg.Naive:
		// The library's own pattern, for comparison: Signal, then Delete,
		// which releases the shell (it counts against MaxShellsPerUser).
		// Their errors are not the command's: the host expires shells too.
		_ = c.signal(wc, shellID, cmdID)
		c.deleteShell(context.WithoutCancel(ctx), shellID)
	default:
		c.shells.put(shellID, cmdID, c)
	}
	return res, nil
}

// dropShell terminates cmdID (if any) and deletes the shell, in the
// background: nobody waits for it but Close.
func (c *Client) dropShell(shellID, cmdID string) {
	c.shells.background(func() {
		if cmdID != "" {
			if wc, err := c.libClient(newRunState(context.Background())); err == nil {
				_ = c.signal(wc, shellID, cmdID)
			}
		}
		c.deleteShell(context.Background(), shellID)
	})
}

// libClient is a library client whose requests go through a transport
// bound to this run's context and error record.
func (c *Client) libClient(st *runState) (*winrm.Client, error) {
	params := winrm.NewParameters(fmt.Sprintf("PT%dS", int(c.opTimeout/time.Second)), "en-US", envelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return &runTransport{c: c, st: st} }
	wc, err := winrm.NewClientWithParameters(c.endpoint, c.cfg.Username, c.cfg.Password, params)
	if err != nil {
		return nil, c.errs.new(KindProtocol, "create client", "", "", scrub(err))
	}
	return wc, nil
}

// takeShell returns a shell kept from an earlier command, with that
// command's Signal terminate sent, or a new one. A kept shell whose Signal
// fails is given up: one the host no longer knows counts as a recovery,
// any other is deleted in the background.
func (c *Client) takeShell(wc *winrm.Client, st *runState) (id string, reused bool, err error) {
	if !c.cfg.Naive {
		if s, ok := c.shells.get(c); ok {
			err := c.signal(wc, s.id, s.owedCmdID)
			if err == nil {
				c.stats.shellsReused.Add(1)
				return s.id, true, nil
			}
			if shellGone(err) {
				c.stats.shellsRecovered.Add(1)
			} else {
				c.dropShell(s.id, "")
			}
		}
	}
	id, err = c.createShell(wc, st)
	return id, false, err
}

// createShell sends Create. It is built here rather than through the
// library's CreateShell so the shell id is known (the library keeps it
// private) and the host is asked to expire the shell when idle.
func (c *Client) createShell(wc *winrm.Client, st *runState) (string, error) {
	id, err := c.requestID(wc, st, "create shell", "ShellId", winrm.NewOpenShellRequest(c.url, &wc.Parameters), func(r *reply) string { return r.shellID })
	if err != nil {
		return "", err
	}
	c.stats.shellsCreated.Add(1)
	return id, nil
}

// releaseShell ends a kept shell as other WinRM clients do: the Signal
// terminate its last command is owed (MS-WSMV 3.1.4.12), then Delete. A
// Signal that fails does not keep the Delete from going out.
func (c *Client) releaseShell(ctx context.Context, s idleShell) {
	if s.owedCmdID != "" {
		if wc, err := c.libClient(newRunState(ctx)); err == nil {
			_ = c.signal(wc, s.id, s.owedCmdID)
		}
	}
	c.deleteShell(ctx, s.id)
}

// deleteShell sends Delete for a shell, bounded by the cleanup timeout.
func (c *Client) deleteShell(ctx context.Context, id string) {
	st := newRunState(ctx)
	wc, err := c.libClient(st)
	if err != nil {
		return
	}
	if wc.NewShell(id).Close() == nil {
		c.stats.shellsDeleted.Add(1)
	}
}

// shellGone reports the fault of a shell the host no longer knows.
func shellGone(err error) bool {
	var fe *FaultError
	return errors.As(err, &fe) && (fe.Subcode == "InvalidSelectors" || fe.WSManCode == WSManCodeShellUnknown)
}
