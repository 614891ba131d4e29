package winrmclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// Pacing of Receive polls that come back without output. A conforming host
// holds Receive until output, exit or the OperationTimeout; one that answers
// at once (or a fault the library re-polls on) would make the library re-send
// Receive in a tight loop, so such answers are followed by a growing pause.
const (
	minHeldPoll  = time.Second
	firstPause   = 50 * time.Millisecond
	maxPollPause = time.Second
)

// runState is shared by the transport and run for one RunPowerShell call.
// The library flattens or drops the errors of some requests (a failed Send
// inside io.Copy is ignored; Receive errors become pipe errors), so the
// transport keeps the first typed error here and run returns it.
type runState struct {
	ctx       context.Context // governs Create, Command, Send and Receive
	stdinDone chan struct{}   // closed once all input is sent (or failed)

	mu    sync.Mutex
	err   error
	pause time.Duration
}

func newRunState(ctx context.Context) *runState {
	return &runState{ctx: ctx, stdinDone: make(chan struct{})}
}

func (s *runState) record(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *runState) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// failureOr prefers the recorded typed error to what the library returned.
func (s *runState) failureOr(fallback error) error {
	if err := s.failure(); err != nil {
		return err
	}
	return fallback
}

// nextPause returns the pause before the next unproductive poll and grows it.
func (s *runState) nextPause() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pause == 0 {
		s.pause = firstPause
	}
	p := s.pause
	s.pause = min(2*s.pause, maxPollPause)
	return p
}

func (s *runState) resetPause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pause = 0
}

// runTransport is the winrm.Transporter installed for one command run. It is
// built per run (through Parameters.TransportDecorator) so it can carry the
// run's context and error record; the library's Transporter interface has
// neither, and the library client's url and credentials are private.
//
// Every reply is validated before the library sees it: the library trusts
// the HTTP layer to have checked the status (its own transport does not) and
// panics on bodies that are not XML.
type runTransport struct {
	c  *Client
	st *runState

	// ntlm only, guarded by mu: one request at a time (see postNTLM), and
	// what the unauthenticated pre-flight found.
	mu      sync.Mutex
	checked bool
	offered []string
}

// Transport is a no-op: the HTTP client is configured once in New.
func (t *runTransport) Transport(*winrm.Endpoint) error { return nil }

// Post sends one SOAP message and returns the validated reply body.
func (t *runTransport) Post(wc *winrm.Client, msg *soap.SoapMessage) (body string, err error) {
	var (
		action string
		op     = opName("")
		start  = time.Now()
		rep    *reply
	)
	defer func() {
		// Post runs on the library's background goroutine for Receive, where
		// a panic (the library's NTLM code slices unchecked lengths) cannot
		// be recovered by the caller and would kill the provider.
		if r := recover(); r != nil {
			body, err = "", t.c.errs.new(KindProtocol, op, fmt.Sprintf("internal error in the WinRM client library: %v", r), "", nil)
		}
		retriable := action == actionReceive && err != nil && strings.Contains(err.Error(), "OperationTimeout")
		if err != nil && !retriable && action != actionSignal && action != actionDelete {
			t.st.record(err)
		}
		if action == actionReceive {
			t.pace(start, rep, err, retriable)
		}
	}()

	envelope := msg.String()
	action = requestAction(envelope)
	op = opName(action)
	ctx, cancel := t.requestContext(action)
	defer cancel()

	var raw []byte
	if t.c.cfg.Auth == AuthNTLM {
		raw, err = t.postNTLM(ctx, wc, msg, action, op)
	} else {
		raw, err = t.postBasic(ctx, envelope, op)
	}
	if err != nil {
		return "", err
	}
	rep, err = t.check(op, action, raw)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

// requestContext bounds one request. The clean-up requests (Signal, Delete)
// must still go out after the command's context ended, or the remote shell
// would linger and count against MaxShellsPerUser; they get their own short
// deadline instead.
func (t *runTransport) requestContext(action string) (context.Context, context.CancelFunc) {
	if action == actionSignal || action == actionDelete {
		return context.WithTimeout(context.WithoutCancel(t.st.ctx), t.c.cleanupTimeout)
	}
	return context.WithCancel(t.st.ctx)
}

// pace sleeps after a Receive that returned neither output nor the end of
// the command unless the host held it for a while, as a conforming host does.
func (t *runTransport) pace(start time.Time, rep *reply, err error, retriable bool) {
	productive := err == nil && rep != nil && (rep.hasData || rep.done)
	if productive || (err != nil && !retriable) || time.Since(start) >= minHeldPoll {
		t.st.resetPause()
		return
	}
	timer := time.NewTimer(t.st.nextPause())
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.st.ctx.Done():
	}
}

// check validates a 200 reply body before it reaches the library.
func (t *runTransport) check(op, action string, raw []byte) (*reply, error) {
	if len(bytes.TrimSpace(raw)) == 0 && replyIgnored(action) {
		return nil, nil
	}
	rep, err := parseReply(raw)
	if err != nil {
		detail := err.Error()
		if len(bytes.TrimSpace(raw)) > 0 {
			detail += " (body starts " + snippet(raw) + ")"
		}
		return nil, t.c.errs.new(KindProtocol, op, detail,
			"The host is not a conforming WinRM service, or something in between altered the reply", nil)
	}
	if rep.fault != nil {
		return rep, t.c.errs.fault(op, rep.fault)
	}
	switch action {
	case actionCreate:
		// The library would silently use shell id "" and fail later with a
		// misleading "unsupported action".
		if rep.shellID == "" {
			return rep, t.c.errs.new(KindProtocol, op, "the Create reply carries no ShellId selector", "The host is not a conforming WinRM service", nil)
		}
	case actionCommand:
		if rep.action != actionCommandResponse {
			return rep, t.c.errs.new(KindProtocol, op, fmt.Sprintf("the Command reply has action %q, not CommandResponse", rep.action), "The host is not a conforming WinRM service", nil)
		}
		if rep.commandID == "" {
			return rep, t.c.errs.new(KindProtocol, op, "the Command reply carries no CommandId", "The host is not a conforming WinRM service", nil)
		}
	}
	return rep, nil
}

// postBasic sends one message with Basic authentication and checks the HTTP
// status itself: the library's transport returns any SOAP body as success,
// so a 500 fault on Receive would make it re-poll without end.
func (t *runTransport) postBasic(ctx context.Context, envelope, op string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.c.url, strings.NewReader(envelope))
	if err != nil {
		return nil, t.c.errs.new(KindProtocol, op, "cannot build the request", "", scrub(err))
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(t.c.cfg.Username, t.c.cfg.Password)

	resp, err := t.c.http.Do(req)
	if err != nil {
		return nil, t.c.errs.transportErr(op, ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return nil, t.c.errs.transportErr(op, ctx, err)
	}
	if len(body) > maxReplyBytes {
		return nil, t.c.errs.new(KindProtocol, op, fmt.Sprintf("the reply exceeds %d bytes", maxReplyBytes), "", nil)
	}

	ct := resp.Header.Get("Content-Type")
	isSOAP := strings.Contains(strings.ToLower(ct), "application/soap+xml")
	switch {
	case resp.StatusCode == http.StatusOK:
		if len(bytes.TrimSpace(body)) > 0 && !isSOAP {
			return nil, t.c.errs.new(KindProtocol, op, fmt.Sprintf("the host answered 200 with content type %q instead of application/soap+xml (body starts %s)", ct, snippet(body)),
				"Something other than WinRM answers on this port: check port and https", nil)
		}
		return body, nil
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, t.c.errs.unauthorized(op, offeredSchemes(resp.Header))
	case resp.StatusCode == http.StatusInternalServerError && isSOAP:
		rep, perr := parseReply(body)
		if perr == nil && rep.fault != nil {
			return nil, t.c.errs.fault(op, rep.fault)
		}
		e := t.c.errs.status(op, resp.StatusCode, ct)
		e.Detail += fmt.Sprintf("; the body is not a SOAP fault (starts %s)", snippet(body))
		return nil, e
	}
	return nil, t.c.errs.status(op, resp.StatusCode, ct)
}

// postNTLM sends one message through the library's NTLM message-encryption
// transport, winrm.NewEncryption("ntlm"). Hosts that keep the default
// AllowUnencrypted=false need this encryption over HTTP. It is a stopgap
// until our own session-keeping NTLM transport replaces it; its known defects
// and how they are contained here:
//
//   - It runs the whole NTLM handshake again for every message (4 HTTP
//     exchanges per SOAP message), which is slow but correct.
//   - It keeps the per-message NTLM state in fields of the Encryption value,
//     so concurrent Posts on one value race. A fresh value is built per
//     message, Posts are serialised per run (t.mu), Receive waits until all
//     input is sent (so no Send is ever pending behind a long-poll), and
//     Client serialises whole commands, because the handshake's connection
//     affinity rests on a shared connection pool.
//   - When the handshake fails it silently falls back to plain NTLM without
//     encryption instead of failing; a host that refuses unencrypted traffic
//     then answers 401/500, which surfaces as an error here, but a host that
//     allows it would receive the message in clear.
//   - It uses a bare http.Client: no timeouts and no TLS settings (New
//     refuses ca_cert, insecure and tls_server_name with ntlm for this
//     reason). The request is therefore run on a goroutine and abandoned when
//     ctx ends; a host that never answers leaks that goroutine.
//   - It does not check the HTTP status, so a fault arrives as a "successful"
//     body; check() turns it into an error.
func (t *runTransport) postNTLM(ctx context.Context, wc *winrm.Client, msg *soap.SoapMessage, action, op string) ([]byte, error) {
	if action == actionReceive {
		select {
		case <-t.st.stdinDone:
		case <-ctx.Done():
			return nil, t.c.errs.transportErr(op, ctx, ctx.Err())
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.checked {
		if err := t.preflight(ctx, op); err != nil {
			return nil, err
		}
		t.checked = true
	}

	type result struct {
		body string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("panic in the NTLM transport: %v", p)}
			}
			ch <- r
		}()
		enc, err := winrm.NewEncryption("ntlm")
		if err != nil {
			r.err = err
			return
		}
		if err := enc.Transport(t.c.endpoint); err != nil {
			r.err = err
			return
		}
		r.body, r.err = enc.Post(wc, msg)
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, t.c.errs.libraryErr(op, ctx, r.err, t.offered...)
		}
		return []byte(r.body), nil
	case <-ctx.Done():
		return nil, t.c.errs.transportErr(op, ctx, ctx.Err())
	}
}

// libraryStatus finds the HTTP status in the library's error texts
// ("http error 401", "http response error: 503 - invalid content type").
var libraryStatus = regexp.MustCompile(`http (?:response )?error:? (\d{3})\b`)

// libraryErr classifies an error produced inside the library (NTLM transport,
// parsing) rather than by our HTTP client. offered is what the host's 401
// listed, when known.
func (f errorFactory) libraryErr(op string, ctx context.Context, err error, offered ...string) *Error {
	var ue *url.Error
	if ctx.Err() != nil || errors.As(err, &ue) {
		return f.transportErr(op, ctx, err)
	}
	if m := libraryStatus.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		switch code {
		case http.StatusUnauthorized:
			return f.unauthorized(op, offered)
		case http.StatusOK:
			return f.new(KindProtocol, op, "the host answered 200 with a content type other than application/soap+xml",
				"Something other than WinRM answers on this port: check port and https", nil)
		}
		return f.status(op, code, "")
	}
	return f.new(KindProtocol, op, "the WinRM client library failed", "", scrub(err))
}

// preflight asks the host, without credentials, which schemes it offers
// before the library's NTLM transport is used. That transport falls back to
// plain NTLM through go-ntlmssp's Negotiator when its handshake fails, and the
// Negotiator sends the password with Basic when the host's 401 offers neither
// Negotiate nor NTLM: in clear text over HTTP. Refusing such hosts here
// closes that path for misconfigured hosts (not for an active attacker who
// answers differently later, which only our own NTLM transport will fix).
func (t *runTransport) preflight(ctx context.Context, op string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.c.url, http.NoBody)
	if err != nil {
		return t.c.errs.new(KindProtocol, op, "cannot build the request", "", scrub(err))
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := t.c.http.Do(req)
	if err != nil {
		return t.c.errs.transportErr(op, ctx, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	t.offered = offeredSchemes(resp.Header)
	switch {
	case resp.StatusCode != http.StatusUnauthorized:
		return t.c.errs.status(op, resp.StatusCode, resp.Header.Get("Content-Type"))
	case !containsFold(t.offered, "Negotiate") && !containsFold(t.offered, "NTLM"):
		e := t.c.errs.unauthorized(op, t.offered)
		e.Detail = "the host does not offer Negotiate/NTLM authentication, so no credentials were sent"
		if len(t.offered) > 0 {
			e.Detail += " (it offers: " + strings.Join(t.offered, ", ") + ")"
		}
		return e
	}
	return nil
}
