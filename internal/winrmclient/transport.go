package winrmclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/dp-tools/terraform-provider-iis/internal/encrypted"
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

// runState is shared by the transport and run for one RunPowerShell call:
// the run's context, the first typed error of its requests (preferred to
// whatever the library makes of a failure), and the pacing of Receive polls.
type runState struct {
	ctx context.Context // governs Create, Command, Send and Receive

	mu    sync.Mutex
	err   error
	pause time.Duration
}

func newRunState(ctx context.Context) *runState {
	return &runState{ctx: ctx}
}

func (s *runState) record(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// clear forgets the recorded error (a command is retried in a new shell).
func (s *runState) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = nil
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
// Every reply is checked and read here (parseReply) before anyone uses it:
// the library's own transports return any SOAP body as success whatever
// the HTTP status, and its parsers panic on bodies that are not XML.
type runTransport struct {
	c  *Client
	st *runState
}

// Transport is a no-op: the connections are the Client's.
func (t *runTransport) Transport(*winrm.Endpoint) error { return nil }

// Post sends one SOAP message and returns the validated reply body: the
// library's way in (it deletes shells through it).
func (t *runTransport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	_, raw, err := t.exchangeMsg(msg)
	return string(raw), err
}

// exchangeMsg sends one SOAP message and returns the reply body and what
// parseReply read in it (nil for an empty reply the action allows), once
// the reply is checked.
func (t *runTransport) exchangeMsg(msg *soap.SoapMessage) (rep *reply, raw []byte, err error) {
	var (
		action string
		op     = opName("")
		start  = time.Now()
	)
	defer func() {
		// A panic (a bug in building the message or reading the reply)
		// becomes this request's error rather than the process's end.
		if r := recover(); r != nil {
			rep, raw, err = nil, nil, t.c.errs.new(KindProtocol, op, fmt.Sprintf("internal error in the WinRM client: %v", r), "", nil)
		}
		retriable := action == actionReceive && receiveTimedOut(err)
		if err != nil && !retriable && action != actionSignal && action != actionDelete {
			t.st.record(err)
		}
		logExchange(t.st.ctx, t.c.errs.hostPort(), action, start, len(raw), err)
		if action == actionReceive {
			t.pace(start, rep, err, retriable)
		}
	}()

	envelope := msg.String()
	action = requestAction(envelope)
	op = opName(action)
	if action == actionCreate {
		envelope = t.c.withIdleTimeout(envelope)
	} else {
		envelope = withoutLocale(envelope)
	}
	ctx, cancel := t.requestContext(action)
	defer cancel()

	if raw, err = t.c.post(ctx, op, []byte(envelope)); err != nil {
		return nil, nil, err
	}
	if rep, err = t.check(op, action, raw); err != nil {
		return nil, nil, err
	}
	return rep, raw, nil
}

// logExchange writes one DEBUG line per WS-Management exchange: the host,
// the action, how long it took and how much came back, never a header or a
// body (they may carry credentials or the file). A Receive that the host
// held until the OperationTimeout is a normal end, not an error.
func logExchange(ctx context.Context, host, action string, start time.Time, replyBytes int, err error) {
	fields := map[string]any{"host": host, "action": action[strings.LastIndex(action, "/")+1:], "duration_ms": time.Since(start).Milliseconds(), "reply_bytes": replyBytes}
	var e *Error
	if errors.As(err, &e) {
		fields["error"] = e.Kind.String()
	} else if err != nil {
		fields["error"] = "internal"
	}
	tflog.Debug(ctx, "WinRM exchange", fields)
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

// post sends one SOAP envelope and returns the reply body of a 200, or a
// typed error for every other outcome. The library's own transports return
// any SOAP body as success whatever the status, so a 500 fault on Receive
// would make it re-poll without end.
func (c *Client) post(ctx context.Context, op string, envelope []byte) ([]byte, error) {
	resp, err := c.exchange(ctx, op, envelope)
	if err != nil {
		return nil, err
	}
	ct := resp.header.Get("Content-Type")
	isSOAP := strings.Contains(strings.ToLower(ct), "application/soap+xml")
	switch {
	case resp.status == http.StatusOK:
		if len(bytes.TrimSpace(resp.body)) > 0 && !isSOAP {
			return nil, c.errs.new(KindProtocol, op, fmt.Sprintf("the host answered 200 with content type %q instead of application/soap+xml (body starts %s)", ct, snippet(resp.body)),
				"Something other than WinRM answers on this port: check port and https", nil)
		}
		return resp.body, nil
	case resp.status == http.StatusUnauthorized:
		return nil, c.errs.unauthorized(op, offeredSchemes(resp.header))
	case resp.status == http.StatusInternalServerError && isSOAP:
		rep, perr := parseReply(resp.body)
		if perr == nil && rep.fault != nil {
			return nil, c.errs.fault(op, rep.fault)
		}
		e := c.errs.status(op, resp.status, ct)
		e.Detail += fmt.Sprintf("; the body is not a SOAP fault (starts %s)", snippet(resp.body))
		return nil, e
	}
	return nil, c.errs.status(op, resp.status, ct)
}

// exchange sends one envelope on an authenticated connection (sealed with
// the connection's NTLM or Kerberos context over HTTP) and returns the
// reply, unsealed. A sealed connection never sends a message in clear: a
// failure to seal ends the connection with an error.
func (c *Client) exchange(ctx context.Context, op string, envelope []byte) (*response, error) {
	for attempt := 0; ; attempt++ {
		hc := c.pool.get()
		reused := hc != nil
		if hc == nil {
			var err error
			if hc, err = dial(ctx, c.addr, c.tls, &c.stats); err != nil {
				return nil, c.errs.transportErr(op, ctx, err)
			}
		}
		if c.auth.connectionOriented() && !hc.authed {
			if err := c.auth.handshake(ctx, c, hc, op); err != nil {
				hc.close()
				return nil, err
			}
			hc.authed = true
			c.stats.handshakes.Add(1)
		}
		req := c.newRequest(ctx)
		c.auth.authorize(req.Header)
		body := envelope
		if hc.sealer != nil {
			framed, err := encrypted.Encode(hc.sealer, envelope, soapContentType)
			if err != nil {
				hc.close()
				return nil, c.errs.new(KindProtocol, op, "cannot seal the message with the connection's security context", "", scrub(err))
			}
			body = framed
			req.Header.Set("Content-Type", encrypted.ContentType)
		}
		c.stats.exchanges.Add(1)
		resp, err := hc.roundTrip(ctx, req, body, c.readTimeout)
		if err != nil {
			return nil, c.errs.transportErr(op, ctx, err)
		}
		// A connection the host no longer considers authenticated (it
		// restarted, or dropped the session) gets 401: the message was not
		// processed, so it is sent once more on a fresh connection.
		if resp.status == http.StatusUnauthorized && reused && c.auth.connectionOriented() && attempt == 0 {
			hc.close()
			continue
		}
		if hc.sealer != nil {
			if err := c.unseal(hc, resp); err != nil {
				hc.close()
				return nil, c.errs.new(KindProtocol, op, err.Error(),
					"Something between this machine and the host altered the encrypted reply, or the host is not a conforming WinRM service", nil)
			}
		}
		c.pool.put(hc)
		return resp, nil
	}
}

// unseal replaces a sealed reply body by its verified plaintext. A reply to
// a sealed message that comes in clear is refused unless it has no body: it
// could have been injected by anyone on the path.
func (c *Client) unseal(hc *hostConn, resp *response) error {
	ct := resp.header.Get("Content-Type")
	if !encrypted.Is(ct) {
		if len(bytes.TrimSpace(resp.body)) == 0 {
			return nil
		}
		if resp.status == http.StatusOK || strings.Contains(strings.ToLower(ct), "soap") {
			return fmt.Errorf("the host answered an encrypted message with an unencrypted reply (HTTP %d, %s)", resp.status, ct)
		}
		return nil // an HTTP error page: the status tells the story
	}
	plain, typ, err := encrypted.Decode(hc.sealer, resp.body)
	if err != nil {
		return fmt.Errorf("the encrypted reply does not decrypt or verify with the connection's security context: %v", err)
	}
	resp.body = plain
	resp.header.Set("Content-Type", typ)
	return nil
}

const soapContentType = "application/soap+xml;charset=UTF-8"

// newRequest builds the POST every exchange uses.
func (c *Client) newRequest(ctx context.Context) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, nil) // c.url was validated by New
	req.Header.Set("Content-Type", soapContentType)
	req.Header.Set("User-Agent", userAgent)
	return req
}

const userAgent = "terraform-provider-iis WinRM client"

// withIdleTimeout asks the host to expire the shell after twice the
// client's idle timeout (MS-WSMV rsp:IdleTimeOut): a shell left behind by a
// provider process that was killed then does not hold one of the user's
// MaxShellsPerUser for the host's default two hours.
func (c *Client) withIdleTimeout(envelope string) string {
	const marker = "<rsp:InputStreams>"
	idle := max(2*c.cfg.ShellIdleTimeout, time.Second)
	if c.cfg.Naive || !strings.Contains(envelope, marker) {
		return envelope
	}
	return strings.Replace(envelope, marker, fmt.Sprintf("<rsp:IdleTimeOut>PT%.3fS</rsp:IdleTimeOut>", idle.Seconds())+marker, 1)
}

// localeHeaders are the wsman:Locale and wsmv:DataLocale headers as the
// library writes them into every message.
var localeHeaders = regexp.MustCompile(`<w:Locale [^>]*/>|<p:DataLocale [^>]*/>`)

// withoutLocale drops the locale headers from a message to an existing
// shell. MS-WSMV 3.1.4.1.31.2: the locale of a shell is established by its
// Create, and the service ignores these headers on the shell's other
// messages; they cost 120 bytes each of Command, Send and Receive.
func withoutLocale(envelope string) string {
	// Only the header is scanned: a Send's body is up to 150 KB of base64.
	end := strings.Index(envelope, "Body>")
	if end < 0 {
		end = len(envelope)
	}
	return localeHeaders.ReplaceAllString(envelope[:end], "") + envelope[end:]
}

// libraryStatus finds the HTTP status in the library's error texts
// ("http error 401", "http response error: 503 - invalid content type").
var libraryStatus = regexp.MustCompile(`http (?:response )?error:? (\d{3})\b`)

// libraryErr classifies an error produced inside the library (parsing)
// rather than by our HTTP exchange.
func (f errorFactory) libraryErr(op string, ctx context.Context, err error) *Error {
	var ue *url.Error
	if ctx.Err() != nil || errors.As(err, &ue) {
		return f.transportErr(op, ctx, err)
	}
	if m := libraryStatus.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code == http.StatusUnauthorized {
			return f.unauthorized(op, nil)
		}
		return f.status(op, code, "")
	}
	return f.new(KindProtocol, op, "the WinRM client library failed", "", scrub(err))
}
