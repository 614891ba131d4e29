// Package winrmclient runs PowerShell scripts on a Windows host over WinRM.
//
// It drives github.com/masterzen/winrm for the WS-Management shell protocol
// but installs its own transport, because the library's default one treats
// any SOAP body as success whatever the HTTP status (a fault on Receive then
// makes it re-poll in a tight loop), panics on empty or non-XML bodies, and
// reports a 401 as "invalid content type". Every reply is validated before
// the library sees it, and failures come back as *Error with a Kind, the
// host, port and auth scheme, and the likely fix.
package winrmclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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
)

// Client runs commands on one host. It is safe for concurrent use; with
// auth "ntlm" commands run one at a time (see runTransport.postNTLM).
type Client struct {
	cfg            Config
	url            string
	endpoint       *winrm.Endpoint // what the library puts in a:To, and the NTLM transport's target
	errs           errorFactory
	http           *http.Client
	opTimeout      time.Duration
	cleanupTimeout time.Duration
	ntlmSlot       chan struct{} // ntlm only: a one-command semaphore that honours ctx
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
		},
	}
	scheme := "http"
	if cfg.HTTPS {
		scheme = "https"
	}
	hostPort := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	c.url = scheme + "://" + hostPort + "/wsman"

	// The library formats its URL as host:port without brackets.
	libHost := cfg.Host
	if ip := net.ParseIP(cfg.Host); ip != nil && ip.To4() == nil {
		libHost = "[" + cfg.Host + "]"
	}
	c.endpoint = &winrm.Endpoint{
		Host: libHost, Port: cfg.Port, HTTPS: cfg.HTTPS, Insecure: cfg.Insecure,
		TLSServerName: cfg.TLSServerName, CACert: cfg.CACert, Timeout: c.opTimeout + headerSlack,
	}

	if cfg.Auth == AuthNTLM {
		c.ntlmSlot = make(chan struct{}, 1)
	}
	// Basic sends every message with it; NTLM only its pre-flight.
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.http = &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tc,
			TLSHandshakeTimeout:   tlsHandshakeTimeout,
			ResponseHeaderTimeout: c.opTimeout + headerSlack,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		// Never follow a redirect with credentials attached.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
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
func (c Client) String() string { return "winrmclient.Client{" + c.url + " auth " + c.cfg.Auth + "}" }

// Format routes every verb through String: fmt prints unexported fields
// (the password among them) raw for %+v and %#v otherwise.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

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

	if c.ntlmSlot != nil {
		select {
		case c.ntlmSlot <- struct{}{}:
		case <-ctx.Done():
			e := c.ctxErr(ctx, limit)
			e.Detail += " while waiting for the previous command on this host (auth \"ntlm\" runs one command at a time)"
			return Result{}, e
		}
	}

	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		if c.ntlmSlot != nil {
			// Released only when the library has finished, not when the
			// caller gave up: the NTLM transport must not overlap runs.
			defer func() { <-c.ntlmSlot }()
		}
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
			fmt.Sprintf("the command did not finish within the timeout of %s", limit.Round(time.Millisecond)),
			"Increase timeout, or check on the host whether the command hangs (waiting for input or a prompt) or the host is overloaded", err)
	}
	return c.errs.new(KindCanceled, "run command", "the command was canceled", "", err)
}

// run drives the library through one command: Create, Command, Send (input
// then End), Receive until Done, Signal, Delete. The library is driven step
// by step rather than through RunWithContextWithInput because that helper
// ignores Send errors and hides Receive errors.
func (c *Client) run(ctx context.Context, cmdline string, stdin []byte) (Result, error) {
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	st := newRunState(runCtx)

	params := winrm.NewParameters(fmt.Sprintf("PT%dS", int(c.opTimeout/time.Second)), "en-US", envelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return &runTransport{c: c, st: st} }
	wc, err := winrm.NewClientWithParameters(c.endpoint, c.cfg.Username, c.cfg.Password, params)
	if err != nil {
		return Result{}, c.errs.new(KindProtocol, "create client", "", "", scrub(err))
	}

	shell, err := wc.CreateShell()
	if err != nil {
		return Result{}, st.failureOr(c.errs.libraryErr("create shell", runCtx, err))
	}
	// Delete releases the shell, which counts against MaxShellsPerUser. Its
	// error is not the command's: the host also expires idle shells.
	defer func() { _ = shell.Close() }()

	cmd, err := shell.ExecuteWithContext(runCtx, cmdline)
	if err != nil {
		return Result{}, st.failureOr(c.errs.libraryErr("start command", runCtx, err))
	}

	// The library's background Receive loop blocks writing into these pipes,
	// so they are drained from the start.
	var stdout, stderr bytes.Buffer
	var outErr, errErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, outErr = io.Copy(&stdout, cmd.Stdout) }()
	go func() { defer wg.Done(); _, errErr = io.Copy(&stderr, cmd.Stderr) }()

	inErr := sendInput(cmd, stdin)
	close(st.stdinDone)
	if inErr != nil {
		// The command cannot get its input; stop the Receive loop.
		cancelRun()
	}
	cmd.Wait()
	wg.Wait()
	_ = cmd.Close() // Signal terminate, as the library's own helper does

	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: cmd.ExitCode()}
	if isCLIXML(res.Stderr) {
		res.Stderr = []byte(DecodeCLIXML(string(res.Stderr)))
	}
	if err := st.failure(); err != nil {
		return res, err
	}
	for _, e := range []struct {
		op  string
		err error
	}{{"send input", inErr}, {"receive output", outErr}, {"receive output", errErr}} {
		if e.err != nil {
			return res, c.errs.libraryErr(e.op, runCtx, e.err)
		}
	}
	return res, nil
}

// sendInput sends stdin (the library chunks it below the envelope size) and
// then always the End marker.
func sendInput(cmd *winrm.Command, stdin []byte) error {
	if len(stdin) > 0 {
		if _, err := cmd.Stdin.Write(stdin); err != nil {
			return err
		}
	}
	return cmd.Stdin.Close()
}
