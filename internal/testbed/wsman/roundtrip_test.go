package wsman

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// A megabyte of binary stdin needs several Send requests and comes back
// byte-exact through several Receives.
func TestRoundTripLargeStdin(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	input := make([]byte, 1<<20)
	if _, err := rand.Read(input); err != nil {
		t.Fatal(err)
	}
	c := f.client(t, testPass, "")
	stdout, stderr, code, err := c.RunWithContextWithString(context.Background(), "echo", string(input))
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !bytes.Equal([]byte(stdout), input) {
		t.Fatalf("stdout differs from stdin: got %d bytes, want %d", len(stdout), len(input))
	}
	st := f.srv.Stats()
	// masterzen sends EnvelopeSize-1000 raw bytes per Send: 7 data Sends + End.
	if st.Send < 7 {
		t.Errorf("Sends = %d, want at least 7 for 1 MiB", st.Send)
	}
	if st.Receive < 16 {
		t.Errorf("Receives = %d, want at least 16 (64 KiB per response)", st.Receive)
	}
	if st.ShellsOpen != 0 || st.ShellsCreated != 1 || st.Create != 1 || st.Delete != 1 || st.Command != 1 || st.Signal != 1 {
		t.Errorf("unexpected stats %+v", st)
	}
}

func TestRoundTripExitCodesAndStreams(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, testPass, "")
	for _, tc := range []struct {
		cmd, stdin         string
		stdout, stderr     string
		code               int
		wantExecutorCalled bool
	}{
		{cmd: "exit 0", code: 0},
		{cmd: "exit 1", code: 1},
		{cmd: "exit 42", code: 42},
		{cmd: "exit 2147483647", code: 2147483647},
		{cmd: "stderr something failed", stdout: "out", stderr: "something failed", code: 3},
		{cmd: "echo", stdin: "hello\r\nworld", stdout: "hello\r\nworld"},
		{cmd: "echo", stdin: "", stdout: ""},
		{cmd: "nosuch & <tag> \"q\"", stderr: `unknown test command "nosuch & <tag> \"q\""`, code: 9009},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			stdout, stderr, code, err := c.RunWithContextWithString(context.Background(), tc.cmd, tc.stdin)
			if err != nil {
				t.Fatal(err)
			}
			if stdout != tc.stdout || stderr != tc.stderr || code != tc.code {
				t.Errorf("got (%q, %q, %d), want (%q, %q, %d)", stdout, stderr, code, tc.stdout, tc.stderr, tc.code)
			}
		})
	}
}

// Arguments and the command line (with XML-special characters) reach the
// executor as sent, together with the shell owner.
func TestCommandArguments(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, testPass, "")
	sh, err := c.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	cmd, err := sh.ExecuteWithContext(context.Background(), "args & <x>", " a b ", "c&d")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = out.ReadFrom(cmd.Stdout); close(done) }() // what arrived is checked below
	go func() { _, _ = new(bytes.Buffer).ReadFrom(cmd.Stderr) }()
	cmd.Wait()
	<-done
	// Windows joins rsp:Command and each rsp:Arguments into one command
	// line, separated by spaces; the arguments stay available as sent.
	if want := "args & <x>  a b  c&d\n a b \nc&d\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	f.exec.mu.Lock()
	last := f.exec.last
	f.exec.mu.Unlock()
	if last.User != testUser || last.ShellID == "" || last.CommandID == "" {
		t.Errorf("command info %+v", last)
	}
	// masterzen asks for a console stdin (WINRS_CONSOLEMODE_STDIN=TRUE).
	if last.PipeStdin || last.Options[OptionConsoleModeStdin] != "TRUE" || last.Options["WINRS_SKIP_CMD_SHELL"] != "FALSE" {
		t.Errorf("options %v, pipe stdin %v", last.Options, last.PipeStdin)
	}
}

func TestRoundTripHTTPS(t *testing.T) {
	t.Parallel()
	cert, certPEM, err := SelfSignedCertificate("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	exec := &testExecutor{}
	srv := NewServer(Options{Username: testUser, Password: testPass, Executor: exec})
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below is expected
	ts.StartTLS()
	t.Cleanup(func() { srv.Close(); ts.Close() })
	f := newFixture(t, srv, exec, ts)

	run := func(caCert []byte) (string, error) {
		ep := winrm.NewEndpoint(f.host, f.port, true, false, caCert, nil, nil, 10*time.Second)
		c, err := winrm.NewClientWithParameters(ep, testUser, testPass, winrm.DefaultParameters)
		if err != nil {
			return "", err
		}
		out, _, _, err := c.RunWithContextWithString(context.Background(), "echo", "over tls")
		return out, err
	}
	out, err := run(certPEM)
	if err != nil {
		t.Fatalf("with the certificate as CA: %v", err)
	}
	if out != "over tls" {
		t.Errorf("stdout %q", out)
	}
	// Without it, verification must fail: the test would be meaningless if
	// the client skipped verification.
	if _, err := run(nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: err = %v, want a certificate error", err)
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, "wrong", "")
	_, _, _, err := c.RunWithContextWithString(context.Background(), "echo", "x")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want an error mentioning 401", err)
	}
	if n := f.exec.runs.Load(); n != 0 {
		t.Errorf("executor ran %d times", n)
	}
	if st := f.srv.Stats(); st.AuthFailures != 1 || st.Create != 0 || st.ShellsCreated != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A command outliving several OperationTimeouts completes, and the client
// does not spin: each Receive is held for the timeout.
func TestLongPollDoesNotSpin(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, testPass, "PT1S")
	start := time.Now()
	stdout, _, code, err := c.RunWithContextWithString(context.Background(), "sleep 2200ms", "")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "slept" || code != 0 {
		t.Fatalf("stdout %q, exit %d", stdout, code)
	}
	if el := time.Since(start); el < 2200*time.Millisecond {
		t.Fatalf("finished after %v, before the command did", el)
	}
	st := f.srv.Stats()
	if st.Receive > 5 {
		t.Errorf("%d Receives for a 2.2 s command with a 1 s OperationTimeout: the client spins", st.Receive)
	}
	// At least one Receive was held for the whole timeout and answered
	// w:TimedOut (two on an idle machine; scheduling delays may save one).
	if st.ReceiveTimeouts < 1 {
		t.Errorf("ReceiveTimeouts = %d, want at least 1", st.ReceiveTimeouts)
	}
}

// Output larger than the per-response bound arrives over many Receives,
// complete and in order, and every Receive reply fits the client's
// MaxEnvelopeSize. The executor outruns the client, so its writes block.
func TestLargeOutput(t *testing.T) {
	t.Parallel()
	var maxReply atomic.Int64
	f := startServerWith(t, Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &sizeRecorder{ResponseWriter: w}
			h.ServeHTTP(rec, r)
			for {
				old := maxReply.Load()
				if rec.n <= old || maxReply.CompareAndSwap(old, rec.n) {
					break
				}
			}
		})
	})
	c := f.client(t, testPass, "")
	const n = 1_100_000 // more than maxOutputBuffered: the writer blocks at times
	stdout, stderr, code, err := c.RunWithContextWithString(context.Background(), fmt.Sprintf("bigboth %d", n), "")
	if err != nil {
		t.Fatal(err)
	}
	want := string(pattern(n))
	if code != 0 || stdout != want || stderr != want {
		t.Fatalf("exit %d, stdout %d bytes (exact: %v), stderr %d bytes (exact: %v)",
			code, len(stdout), stdout == want, len(stderr), stderr == want)
	}
	// At most 64 KiB raw per stream, and the whole reply within 153600 bytes.
	if st := f.srv.Stats(); st.Receive < 2*n/((153600-4096)/4*3) {
		t.Errorf("%d Receives for 2×%d bytes: responses are not bounded", st.Receive, n)
	}
	if m := maxReply.Load(); m > int64(winrm.DefaultParameters.EnvelopeSize) {
		t.Errorf("largest reply %d bytes exceeds the client's MaxEnvelopeSize %d", m, winrm.DefaultParameters.EnvelopeSize)
	}
}

type sizeRecorder struct {
	http.ResponseWriter
	n int64
}

func (s *sizeRecorder) Write(p []byte) (int, error) {
	n, err := s.ResponseWriter.Write(p)
	s.n += int64(n)
	return n, err
}

// Cancelling the client's context sends Signal terminate: the executor's
// context is cancelled and the shell is deleted.
func TestClientCancelTerminates(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, testPass, "PT0.5S")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, _, err := c.RunWithContextWithString(ctx, "block", "")
	if err == nil {
		t.Fatal("no error from a cancelled run")
	}
	waitFor(t, "the executor to see termination", func() bool { return f.exec.terminated.Load() == 1 })
	waitFor(t, "the shell to be deleted", func() bool { return f.srv.Stats().ShellsOpen == 0 })
	if st := f.srv.Stats(); st.Signal == 0 {
		t.Errorf("no Signal seen: %+v", st)
	}
}

// Many clients at once, each with its own shell; run with -race.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	const clients = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	cs := make([]*winrm.Client, clients)
	for i := range cs {
		cs[i] = f.client(t, testPass, "PT2S")
	}
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := strings.Repeat(fmt.Sprintf("client %d says hello\n", i), 2000+i*100)
			out, _, code, err := c.RunWithContextWithString(context.Background(), "echo", in)
			switch {
			case err != nil:
				errs <- fmt.Errorf("client %d: %v", i, err)
			case out != in || code != 0:
				errs <- fmt.Errorf("client %d: exit %d, %d bytes back of %d", i, code, len(out), len(in))
			}
			if _, _, code, err := c.RunWithContextWithString(context.Background(), fmt.Sprintf("exit %d", i), ""); err != nil || code != i {
				errs <- fmt.Errorf("client %d: exit code %d (%v)", i, code, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := f.srv.Stats()
	if st.ShellsOpen != 0 || st.ShellsCreated != 2*clients || st.CommandsStarted != 2*clients {
		t.Errorf("stats %+v", st)
	}
}

// A panicking executor fails its command, not the server.
func TestExecutorPanic(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	c := f.client(t, testPass, "")
	_, stderr, code, err := c.RunWithContextWithString(context.Background(), "panic", "")
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || !strings.Contains(stderr, "boom") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// Without an Executor, commands fail like an unknown program under cmd.exe.
func TestNoExecutor(t *testing.T) {
	t.Parallel()
	srv := NewServer(Options{Username: testUser, Password: testPass})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	f := newFixture(t, srv, nil, ts)
	_, stderr, code, err := f.client(t, testPass, "").RunWithContextWithString(context.Background(), "ipconfig /all", "")
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || !strings.Contains(stderr, "'ipconfig' is not recognized") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
