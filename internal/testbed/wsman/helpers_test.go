package wsman

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/masterzen/winrm"
)

const (
	testUser = "vagrant"
	testPass = "s3cret&<pass>"
)

// testExecutor interprets a tiny command language so that tests can drive
// every executor behaviour over the wire:
//
//	echo            copy stdin to stdout, exit 0
//	exit N          exit N
//	stderr TEXT     "out" to stdout, TEXT to stderr, exit 3
//	sleep DUR       sleep DUR (or until terminated), print "slept"
//	big N           N bytes of a pattern to stdout
//	bigboth N       N bytes of a pattern to stdout and N to stderr
//	block           wait until terminated, exit 130
//	args            print the command line and arguments, one per line
//	panic           panic
type testExecutor struct {
	runs       atomic.Int64
	terminated atomic.Int64
	mu         sync.Mutex
	last       Command
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + i%26)
		if i%100 == 99 {
			b[i] = '\n'
		}
	}
	return b
}

func (e *testExecutor) Execute(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int {
	e.runs.Add(1)
	e.mu.Lock()
	e.last = cmd
	e.mu.Unlock()
	verb, arg, _ := strings.Cut(cmd.CommandLine, " ")
	switch verb {
	case "echo":
		if _, err := io.Copy(stdout, stdin); err != nil {
			fmt.Fprintf(stderr, "echo: %v", err)
			return 1
		}
		return 0
	case "exit":
		n, _ := strconv.Atoi(arg)
		return n
	case "stderr":
		_, _ = io.WriteString(stdout, "out")
		_, _ = io.WriteString(stderr, arg)
		return 3
	case "sleep":
		d, _ := time.ParseDuration(arg)
		select {
		case <-time.After(d):
			_, _ = io.WriteString(stdout, "slept")
			return 0
		case <-ctx.Done():
			e.terminated.Add(1)
			return 130
		}
	case "big", "bigboth":
		n, _ := strconv.Atoi(arg)
		data := pattern(n)
		if _, err := stdout.Write(data); err != nil {
			return 1
		}
		if verb == "bigboth" {
			if _, err := stderr.Write(data); err != nil {
				return 1
			}
		}
		return 0
	case "block":
		<-ctx.Done()
		e.terminated.Add(1)
		return 130
	case "args":
		fmt.Fprintln(stdout, cmd.CommandLine)
		for _, a := range cmd.Arguments {
			fmt.Fprintln(stdout, a)
		}
		return 0
	case "panic":
		panic("boom")
	}
	fmt.Fprintf(stderr, "unknown test command %q", cmd.CommandLine)
	return 9009
}

// fixture is a running server with its httptest listener.
type fixture struct {
	srv  *Server
	exec *testExecutor
	ts   *httptest.Server
	host string
	port int
}

func startServer(t *testing.T, opts Options) *fixture {
	t.Helper()
	return startServerWith(t, opts, nil)
}

// startServerWith wraps the handler with wrap when not nil.
func startServerWith(t *testing.T, opts Options, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	exec := &testExecutor{}
	if opts.Executor == nil {
		opts.Executor = exec
	}
	if opts.Username == "" && opts.Authenticator == nil {
		opts.Username, opts.Password = testUser, testPass
	}
	srv := NewServer(opts)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ConnContext = srv.ConnContext
	ts.Start()
	t.Cleanup(func() {
		srv.Close() // first: releases long-polls so that ts.Close does not wait on them
		ts.Close()
	})
	return newFixture(t, srv, exec, ts)
}

func newFixture(t *testing.T, srv *Server, exec *testExecutor, ts *httptest.Server) *fixture {
	t.Helper()
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)
	return &fixture{srv: srv, exec: exec, ts: ts, host: host, port: port}
}

func (f *fixture) url() string { return f.ts.URL + "/wsman" }

// client returns a masterzen client for testUser with pass. timeout is the
// OperationTimeout it sends ("" for masterzen's default PT60S).
func (f *fixture) client(t *testing.T, pass, timeout string) *winrm.Client {
	t.Helper()
	params := *winrm.DefaultParameters
	if timeout != "" {
		params.Timeout = timeout
	}
	ep := winrm.NewEndpoint(f.host, f.port, false, false, nil, nil, nil, 10*time.Second)
	c, err := winrm.NewClientWithParameters(ep, testUser, pass, &params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawResult is an HTTP exchange made without the masterzen client, to check
// what is on the wire.
type rawResult struct {
	Status int
	Header http.Header
	Body   []byte
}

func (f *fixture) post(t *testing.T, user, pass, contentType string, body []byte) rawResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// soap posts a request built by the masterzen request builders, so the wire
// format is exactly the client's.
func (f *fixture) soap(t *testing.T, msg interface{ String() string }) rawResult {
	t.Helper()
	return f.post(t, testUser, testPass, "application/soap+xml;charset=UTF-8", []byte(msg.String()))
}

func params(timeout string) *winrm.Parameters {
	return winrm.NewParameters(timeout, "en-US", 153600)
}

// createShell opens a shell over the raw path and returns its id.
func (f *fixture) createShell(t *testing.T) string {
	t.Helper()
	res := f.soap(t, winrm.NewOpenShellRequest(f.url(), nil))
	if res.Status != http.StatusOK {
		t.Fatalf("Create: HTTP %d: %s", res.Status, res.Body)
	}
	id, err := winrm.ParseOpenShellResponse(string(res.Body))
	if err != nil || id == "" {
		t.Fatalf("Create: no shell id (%v) in %s", err, res.Body)
	}
	return id
}

func (f *fixture) startCommand(t *testing.T, shellID, line string) string {
	t.Helper()
	res := f.soap(t, winrm.NewExecuteCommandRequest(f.url(), shellID, line, nil, nil))
	if res.Status != http.StatusOK {
		t.Fatalf("Command: HTTP %d: %s", res.Status, res.Body)
	}
	id, err := winrm.ParseExecuteCommandResponse(string(res.Body))
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	return id
}

// parsedFault is the part of a fault reply tests look at.
type parsedFault struct {
	Code, Subcode, Reason, WSManCode, Machine, RelatesTo, Action string
}

func parseFault(t *testing.T, body []byte) parsedFault {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		t.Fatalf("fault is not XML: %v\n%s", err, body)
	}
	env := doc.Root()
	hdr := child(env, nsSOAP, "Header")
	fl := child(child(env, nsSOAP, "Body"), nsSOAP, "Fault")
	if fl == nil {
		t.Fatalf("no s:Fault in %s", body)
	}
	code := child(fl, nsSOAP, "Code")
	wf := child(child(fl, nsSOAP, "Detail"), nsWSManFail, "WSManFault")
	if wf == nil {
		t.Fatalf("no f:WSManFault in %s", body)
	}
	return parsedFault{
		Code:      textOf(child(code, nsSOAP, "Value")),
		Subcode:   textOf(child(child(code, nsSOAP, "Subcode"), nsSOAP, "Value")),
		Reason:    textOf(child(child(fl, nsSOAP, "Reason"), nsSOAP, "Text")),
		WSManCode: attr(wf, "Code"),
		Machine:   attr(wf, "Machine"),
		RelatesTo: textOf(child(hdr, nsAddress, "RelatesTo")),
		Action:    textOf(child(hdr, nsAddress, "Action")),
	}
}

// messageID extracts the MessageID a masterzen-built request carries.
func messageID(t *testing.T, msg interface{ String() string }) string {
	t.Helper()
	req, f := parseRequest([]byte(msg.String()))
	if f != nil {
		t.Fatalf("parsing our own request: %v", f)
	}
	return req.MessageID
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
