package wsman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/encrypted"
)

// Options configure a Server. The zero value of each field selects the
// Windows default noted beside it.
type Options struct {
	// Username and Password are the one Basic account accepted when
	// Authenticator is nil. With neither set, every request gets 401.
	Username, Password string
	// Authenticator, when set, replaces the Username/Password check.
	Authenticator Authenticator
	// Schemes, when set, replace Authenticator: the schemes the service
	// accepts, like winrm/config/service/auth (NewBasicScheme,
	// NewNTLMScheme, NewKerberosScheme, NewCertScheme). A 401 offers what
	// each offers, in this order. Connection-oriented schemes need
	// Server.ConnContext installed on the http.Server.
	Schemes []Scheme
	// RefuseUnencrypted is AllowUnencrypted=false, the Windows default:
	// over plain HTTP, Basic credentials are refused (401) and message
	// bodies that are not sealed (multipart/encrypted) are refused with
	// HTTP 500, even from an authenticated connection. The zero value
	// accepts them, as the simulator always has.
	RefuseUnencrypted bool
	// Executor runs the commands. Nil makes every command fail the way
	// cmd.exe reports an unknown program (stderr message, exit code 1).
	Executor Executor
	// MaxShellsPerUser is the number of shells a user may hold open
	// (default 30, winrs MaxShellsPerUser); beyond it Create gets the
	// w:QuotaLimit fault.
	MaxShellsPerUser int
	// MaxShellIdleTimeout is the longest rsp:IdleTimeOut granted, and
	// the idle timeout of a shell whose Create asks for none (default two
	// hours, winrm/config/winrs IdleTimeout 7200000). A shell that no
	// request addresses for its timeout is deleted.
	MaxShellIdleTimeout time.Duration
	// MaxEnvelopeSize is the largest request body accepted, in bytes
	// (default 500 KiB, MaxEnvelopeSizekb); beyond it: HTTP 413.
	MaxEnvelopeSize int
	// MachineName fills the Machine attribute of fault details. Default: the
	// host the client addressed, as Windows does.
	MachineName string
	// Logf, when set, receives a line per exchange (a TimedOut Receive
	// excepted: it is the normal idle state) and per shell and command event.
	// It never receives passwords, Authorization headers or stream data.
	Logf func(format string, args ...any)
}

// Defaults of a Windows host.
const (
	DefaultMaxShellsPerUser = 30
	DefaultMaxEnvelopeSize  = 500 * 1024
	DefaultShellIdleTimeout = 2 * time.Hour
)

// Server is a WS-Management shell endpoint. It is an http.Handler for
// POST /wsman and is safe for concurrent use. Call Close when done.
type Server struct {
	schemes  []Scheme
	refuse   bool
	exec     Executor
	maxShell int
	maxIdle  time.Duration
	maxBody  int
	machine  string
	logf     func(string, ...any)

	shells *shellTable
	stats  counters

	// base is the parent context of every command; Close cancels it.
	base       context.Context
	cancelBase context.CancelFunc
	// mu orders wg.Add (starting an executor) against Close's wg.Wait.
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// NewServer returns a Server configured by opts.
func NewServer(opts Options) *Server {
	s := &Server{
		schemes:  opts.Schemes,
		refuse:   opts.RefuseUnencrypted,
		exec:     opts.Executor,
		maxShell: opts.MaxShellsPerUser,
		maxIdle:  opts.MaxShellIdleTimeout,
		maxBody:  opts.MaxEnvelopeSize,
		machine:  opts.MachineName,
		logf:     opts.Logf,
		shells:   newShellTable(),
	}
	if len(s.schemes) == 0 {
		auth := opts.Authenticator
		if auth == nil {
			users := map[string]string{}
			if opts.Username != "" {
				users[opts.Username] = opts.Password
			}
			auth = NewBasicAuth(users)
		}
		s.schemes = []Scheme{legacyScheme{auth}}
	}
	if s.exec == nil {
		s.exec = ExecutorFunc(notRecognized)
	}
	if s.maxShell <= 0 {
		s.maxShell = DefaultMaxShellsPerUser
	}
	if s.maxIdle <= 0 {
		s.maxIdle = DefaultShellIdleTimeout
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxEnvelopeSize
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	return s
}

// notRecognized is the executor of a server configured without one.
func notRecognized(_ context.Context, cmd Command, _ io.Reader, _, stderr io.Writer) int {
	name, _, _ := strings.Cut(cmd.CommandLine, " ")
	_, _ = fmt.Fprintf(stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", name)
	return 1
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot(s.shells.open()) }

// Close deletes every shell: running commands are cancelled, pending
// long-polls are answered, and new shells are refused. It waits for the
// executors to return, so an Executor must honour its context.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.shells.closeAll()
	s.cancelBase() // also reaches commands whose shell was already gone
	s.wg.Wait()
}

const soapContentType = "application/soap+xml;charset=UTF-8"

// ServeHTTP answers one WS-Management exchange.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.stats.exchanges.Add(1)
	// Windows' HTTP.sys names itself; some clients log it.
	w.Header().Set("Server", "Microsoft-HTTPAPI/2.0")

	if r.URL.Path != "/wsman" {
		s.plain(w, r, http.StatusNotFound, "")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.plain(w, r, http.StatusMethodNotAllowed, "")
		return
	}
	// Authentication comes before anything that reads or judges the body:
	// an anonymous client learns nothing and costs nothing.
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	user := a.user
	// An envelope over MaxEnvelopeSizekb gets HTTP 413 with no SOAP body,
	// not a fault: Windows' own client names that status
	// ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS (wsmerror.h 0x80338111, "was
	// notified that the request size exceeded the configured
	// MaxEnvelopeSize quota"), and pywinrm users see "Code: 413" from
	// Windows Server 2019/2022 at the default 500 KB
	// (ansible-collections/ansible.windows#391, #620; masterzen/winrm#156).
	// The SOAP fault w:EncodingLimit is for a requested reply size below
	// 8192 (envelope.go).
	if r.ContentLength > int64(s.maxBody) {
		s.plain(w, r, http.StatusRequestEntityTooLarge, user)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.maxBody)))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.plain(w, r, http.StatusRequestEntityTooLarge, user)
		} else {
			s.plain(w, r, http.StatusBadRequest, user) // client went away mid-body
		}
		return
	}
	// The request that completes a handshake carries no message: Windows
	// answers it 200 with an empty body, and the messages follow on the
	// same connection.
	if a.handshake && len(body) == 0 {
		s.plain(w, r, http.StatusOK, user)
		return
	}

	var sealer Sealer // set when the request came sealed: the reply is sealed too
	contentType := r.Header.Get("Content-Type")
	if encrypted.Is(contentType) {
		if a.sealer == nil {
			s.logf("wsman: %s: encrypted body on a connection without a security context (auth %s)", user, a.scheme)
			s.plain(w, r, http.StatusBadRequest, user)
			return
		}
		plain, origType, err := encrypted.Decode(a.sealer, body)
		if err != nil {
			// The security context is out of step with the client's now:
			// forget it and end the connection.
			s.stats.unsealFailures.Add(1)
			s.logf("wsman: %s: cannot unseal the body: %v", user, err)
			if a.conn != nil {
				a.conn.reset()
			}
			w.Header().Set("Connection", "close")
			s.plain(w, r, http.StatusBadRequest, user)
			return
		}
		s.stats.sealed.Add(1)
		sealer, body, contentType = a.sealer, plain, origType
	} else {
		s.stats.unsealed.Add(1)
		if s.refuse && r.TLS == nil {
			// AllowUnencrypted=false: Windows logs "The WinRM service
			// received an unencrypted message" and answers 500.
			s.stats.refusedUnencrypted.Add(1)
			s.logf("wsman: %s: unencrypted message over HTTP refused (AllowUnencrypted=false)", user)
			s.plain(w, r, http.StatusInternalServerError, user)
			return
		}
	}
	if !isSOAP(contentType) {
		s.plain(w, r, http.StatusUnsupportedMediaType, user)
		return
	}

	req, f := parseRequest(body)
	var reply []byte
	if f == nil {
		s.stats.action(req.Action).Add(1)
		reply, f = s.dispatch(r, user, req)
	}
	relatesTo := ""
	if req != nil {
		relatesTo = req.MessageID
	}
	switch {
	case f == errClientGone:
		s.logf("wsman: %s %s: client went away", user, shortAction(req.Action))
	case f != nil:
		s.stats.faults.Add(1)
		s.write(w, sealer, f.status(), f.render(relatesTo, s.machineName(r)))
		if f.WSMan != codeTimedOut {
			s.logf("wsman: %s %s: fault %s", user, actionOf(req), f)
		}
	default:
		s.write(w, sealer, http.StatusOK, reply)
		s.logf("wsman: %s %s shell %s: ok", user, shortAction(req.Action), req.ShellID)
	}
}

// authResult is who sent a request and what its connection can do.
type authResult struct {
	user, scheme string
	conn         *Conn
	sealer       Sealer
	handshake    bool // this request authenticated the connection
}

// authenticate finds the sender of r, or answers 401 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (authResult, bool) {
	c := connOf(r)
	// An empty POST without credentials is a client probing for the
	// schemes (masterzen's encryption transport does so before every
	// message, even on an authenticated connection): it gets the 401.
	if c != nil && r.Header.Get("Authorization") == "" && r.ContentLength != 0 {
		if user, scheme, sealer := c.authenticated(); user != "" {
			return authResult{user: user, scheme: scheme, conn: c, sealer: sealer}, true
		}
	}
	var o Outcome
	var scheme Scheme
	for _, sc := range s.schemes {
		if o = sc.Authenticate(r, c); o.Mine {
			scheme = sc
			break
		}
	}
	switch {
	case scheme != nil && o.User != "" && s.refuse && r.TLS == nil && scheme.Name() == "Basic":
		o.User, o.Err = "", errors.New("basic authentication over HTTP refused (AllowUnencrypted=false)")
	case scheme != nil && o.User != "":
		res := authResult{user: o.User, scheme: scheme.Name(), conn: c, handshake: o.Persist}
		if o.Persist && c != nil {
			c.set(o.User, scheme.Name(), o.Sealer)
			res.sealer = o.Sealer
			s.stats.handshakes.Add(1)
			s.logf("wsman: %s authenticated the connection from %s with %s", o.User, r.RemoteAddr, scheme.Name())
		}
		if o.Final != "" {
			w.Header().Set("WWW-Authenticate", o.Final)
		}
		return res, true
	case o.Continue != "":
		w.Header().Set("WWW-Authenticate", o.Continue)
		s.plain(w, r, http.StatusUnauthorized, "")
		return authResult{}, false
	}
	s.stats.authFailures.Add(1)
	if o.Err != nil && scheme != nil {
		s.logf("wsman: authentication (%s) from %s refused: %v", strings.ToLower(scheme.Name()), r.RemoteAddr, o.Err)
	}
	if c != nil {
		c.SetHandshake(nil)
	}
	var offered []string
	for _, sc := range s.schemes {
		for _, v := range sc.Offer(r) {
			if !slices.Contains(offered, v) {
				offered = append(offered, v)
			}
		}
	}
	for _, v := range offered {
		w.Header().Add("WWW-Authenticate", v)
	}
	s.plain(w, r, http.StatusUnauthorized, "")
	return authResult{}, false
}

// errClientGone is the sentinel fault for a client that abandoned its
// request: there is nobody to answer.
var errClientGone = &fault{}

// write sends a reply envelope, sealed when the request was.
func (s *Server) write(w http.ResponseWriter, sealer Sealer, status int, body []byte) {
	ct := soapContentType
	if sealer != nil {
		framed, err := encrypted.Encode(sealer, body, soapContentType)
		if err != nil {
			s.logf("wsman: cannot seal the reply: %v", err)
			w.Header().Set("Connection", "close")
			status, body, ct = http.StatusInternalServerError, nil, ""
		} else {
			body, ct = framed, encrypted.ContentTypeOf(sealer)
		}
	}
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// plain answers with an empty body and no Content-Type, as HTTP.sys does for
// 401, 405, 413 and 415.
func (s *Server) plain(w http.ResponseWriter, r *http.Request, status int, user string) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	s.logf("wsman: %s %s %s from %s (user %q): %d", r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.RemoteAddr, user, status)
}

func (s *Server) machineName(r *http.Request) string {
	if s.machine != "" {
		return s.machine
	}
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		return host
	}
	return r.Host
}

// isSOAP accepts application/soap+xml in UTF-8 (the charset WinRM clients
// send; a missing charset means UTF-8).
func isSOAP(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/soap+xml" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

func actionOf(req *request) string {
	if req == nil {
		return "(unparsed)"
	}
	return shortAction(req.Action)
}

// shortAction turns an action URI into its last segment for logs.
func shortAction(action string) string {
	if i := strings.LastIndexByte(action, '/'); i >= 0 {
		return action[i+1:]
	}
	return action
}
