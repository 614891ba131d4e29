package wsman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Options configure a Server. The zero value of each field selects the
// Windows default noted beside it.
type Options struct {
	// Username and Password are the one Basic account accepted when
	// Authenticator is nil. With neither set, every request gets 401.
	Username, Password string
	// Authenticator, when set, replaces the Username/Password check.
	Authenticator Authenticator
	// Executor runs the commands. Nil makes every command fail the way
	// cmd.exe reports an unknown program (stderr message, exit code 1).
	Executor Executor
	// MaxShellsPerUser is the number of shells a user may hold open
	// (default 30, winrs MaxShellsPerUser); beyond it Create gets the
	// w:QuotaLimit fault.
	MaxShellsPerUser int
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
)

// Server is a WS-Management shell endpoint. It is an http.Handler for
// POST /wsman and is safe for concurrent use. Call Close when done.
type Server struct {
	auth     Authenticator
	exec     Executor
	maxShell int
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
		auth:     opts.Authenticator,
		exec:     opts.Executor,
		maxShell: opts.MaxShellsPerUser,
		maxBody:  opts.MaxEnvelopeSize,
		machine:  opts.MachineName,
		logf:     opts.Logf,
		shells:   newShellTable(),
	}
	if s.auth == nil {
		users := map[string]string{}
		if opts.Username != "" {
			users[opts.Username] = opts.Password
		}
		s.auth = NewBasicAuth(users)
	}
	if s.exec == nil {
		s.exec = ExecutorFunc(notRecognized)
	}
	if s.maxShell <= 0 {
		s.maxShell = DefaultMaxShellsPerUser
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
	user, ok := s.auth.Authenticate(r)
	if !ok {
		s.stats.authFailures.Add(1)
		for _, c := range s.auth.Challenge(r) {
			w.Header().Add("WWW-Authenticate", c)
		}
		s.plain(w, r, http.StatusUnauthorized, "")
		return
	}
	if !isSOAP(r.Header.Get("Content-Type")) {
		s.plain(w, r, http.StatusUnsupportedMediaType, user)
		return
	}
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
		s.write(w, f.status(), f.render(relatesTo, s.machineName(r)))
		if f.WSMan != codeTimedOut {
			s.logf("wsman: %s %s: fault %s", user, actionOf(req), f)
		}
	default:
		s.write(w, http.StatusOK, reply)
		s.logf("wsman: %s %s shell %s: ok", user, shortAction(req.Action), req.ShellID)
	}
}

// errClientGone is the sentinel fault for a client that abandoned its
// request: there is nobody to answer.
var errClientGone = &fault{}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", soapContentType)
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
