package winrmclient

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const clixmlErr = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">" +
	"<Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64>" +
	"<PR N=\"Record\"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>" +
	"<S S=\"Error\">Get-Item : Cannot find path 'C:\\nope' because it does not exist._x000D__x000A_</S>" +
	"<S S=\"Error\">    + CategoryInfo          : ObjectNotFound_x000D__x000A_</S></Objs>"

const clixmlDecoded = "Get-Item : Cannot find path 'C:\\nope' because it does not exist.\n    + CategoryInfo          : ObjectNotFound\n"

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestRunPowerShellSuccess(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 kB: three Sends
	for _, tc := range []struct {
		name  string
		stdin []byte
		naive bool // Config.Naive: the library's own pattern
		sends int  // Send requests, the End marker's included
		// Signal requests: a kept shell's command is signalled before
		// the shell's next command, or by Close before its Delete.
		signals int
	}{
		{"no input", nil, false, 1, 1},
		{"small input", []byte("{\"site\":\"Default Web Site\"}"), false, 1, 1},
		{"input larger than one envelope", big, false, 3, 1},
		{"naive, no input", nil, true, 1, 1},
		{"naive, small input", []byte("{}"), true, 2, 1},
		{"naive, input larger than one envelope", big, true, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeHost(t)
			// stderr CLIXML split mid-escape and mid-tag across chunks and
			// across the two Receive replies.
			f.stdout = []string{"line one\r\n", "line two\r\n"}
			f.stderr = []string{clixmlErr[:150], clixmlErr[150:463], clixmlErr[463:]}
			f.exitCode = 3
			_, cfg := f.start(t, false)
			cfg.Naive = tc.naive
			c := mustNew(t, cfg)

			script := "$in = [Console]::In.ReadToEnd(); Write-Output $in"
			res, err := c.RunPowerShell(context.Background(), script, tc.stdin)
			if err != nil {
				t.Fatalf("RunPowerShell: %v", err)
			}
			if got, want := string(res.Stdout), "line one\r\nline two\r\n"; got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if got := string(res.Stderr); got != clixmlDecoded {
				t.Errorf("stderr = %q, want %q", got, clixmlDecoded)
			}
			if res.ExitCode != 3 {
				t.Errorf("exit code = %d, want 3", res.ExitCode)
			}
			sh := f.shell("SHELL-0001")
			if sh.script != script {
				t.Errorf("script on host = %q, want %q", sh.script, script)
			}
			if !bytes.Equal(sh.stdin.Bytes(), tc.stdin) {
				t.Errorf("stdin on host: %d bytes, want %d", sh.stdin.Len(), len(tc.stdin))
			}
			// A kept shell is deleted by Close; the naive one at once.
			wantDeletes := 0
			if tc.naive {
				wantDeletes = 1
			}
			if n := f.count("Delete"); n != wantDeletes {
				t.Errorf("Delete requests before Close = %d, want %d", n, wantDeletes)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"Create": 1, "Command": 1, "Send": tc.sends, "Receive": 2, "Signal": tc.signals, "Delete": 1}
			for a, n := range want {
				if got := f.count(a); got != n {
					t.Errorf("%s requests = %d, want %d (%v)", a, got, n, f.actions())
				}
			}
		})
	}
}

// TestLocaleOnCreateOnly: the shell's locale is set by its Create; the
// other messages, where the host ignores it, go without.
func TestLocaleOnCreateOnly(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"ok"}
	_, cfg := f.start(t, false)
	c := mustNew(t, cfg)
	for range 2 {
		if _, err := c.RunPowerShell(context.Background(), "x", []byte("in")); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Close(context.Background())
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.locales) != 1 || f.locales["Create"] != 1 {
		t.Errorf("messages carrying a locale: %v, want Create only (%v)", f.locales, f.order)
	}
}

// TestSignalBeforeNextCommand: a reused shell's previous command gets its
// Signal terminate before the next Command (the fake host faults a Command
// while one is owed, as MS-WSMV requires), and the last one before the
// shell's Delete.
func TestSignalBeforeNextCommand(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"a", "b"}
	_, cfg := f.start(t, false)
	c := mustNew(t, cfg)
	for i := range 2 {
		res, err := c.RunPowerShell(context.Background(), "x", []byte("in"))
		if err != nil || string(res.Stdout) != "ab" {
			t.Fatalf("command %d: %q %v", i, res.Stdout, err)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(f.actions(), " ")
	want := "Create Command Send Receive Receive Signal Command Send Receive Receive Signal Delete"
	if got != want {
		t.Errorf("exchanges\n got  %s\n want %s", got, want)
	}
	if cs := c.Stats(); cs.ShellsReused != 1 || cs.ShellsCreated != 1 || cs.ShellRecoveries != 0 {
		t.Errorf("stats %+v", cs)
	}
}

// TestConcurrentRuns checks that one Client can be used from several
// goroutines (run with -race).
func TestConcurrentRuns(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"ok"}
	_, cfg := f.start(t, false)
	c := mustNew(t, cfg)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.RunPowerShell(context.Background(), "Write-Output ok", []byte(strconv.Itoa(i)))
			if err != nil || string(res.Stdout) != "ok" {
				t.Errorf("run %d: %q, %v", i, res.Stdout, err)
			}
		}()
	}
	wg.Wait()
}

func TestTimedOutReceiveIsRepolled(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"done"}
	f.hook = func(w http.ResponseWriter, r *http.Request, action string, n int) bool {
		if action == "Receive" && n == 1 {
			writeSOAP(w, 500, timedOutFault)
			return true
		}
		return false
	}
	_, cfg := f.start(t, false)
	res, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", []byte("in"))
	if err != nil {
		t.Fatalf("RunPowerShell: %v", err)
	}
	if string(res.Stdout) != "done" {
		t.Errorf("stdout = %q", res.Stdout)
	}
	if got := f.count("Receive"); got != 3 {
		t.Errorf("Receive requests = %d, want 3 (TimedOut, then two replies)", got)
	}
}

type check func(t *testing.T, f *fakeHost, err error)

type errorCase struct {
	name   string
	hook   hookFunc
	kind   Kind
	want   []string
	checks []check
}

// errorPathCases are failures injected into an otherwise working fake host.
func errorPathCases() []errorCase {
	maxCount := func(action string, n int) check {
		return func(t *testing.T, f *fakeHost, err error) {
			if got := f.count(action); got > n {
				t.Errorf("%s requests = %d, want at most %d (the client must not spin)", action, got, n)
			}
		}
	}
	fault := func(subcode string) check {
		return func(t *testing.T, f *fakeHost, err error) {
			var fe *FaultError
			if !errors.As(err, &fe) {
				t.Fatalf("errors.As(*FaultError) failed for %v", err)
			}
			if fe.Subcode != subcode {
				t.Errorf("Subcode = %q, want %q", fe.Subcode, subcode)
			}
		}
	}
	on := func(action string, reply func(w http.ResponseWriter)) hookFunc {
		return func(w http.ResponseWriter, r *http.Request, a string, n int) bool {
			if a != action {
				return false
			}
			reply(w)
			return true
		}
	}
	soapReply := func(status int, body string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { writeSOAP(w, status, body) }
	}

	return []errorCase{
		{
			name: "401 with Negotiate and Basic offered",
			hook: on("Create", func(w http.ResponseWriter) { unauthorized(w, true) }),
			kind: KindAuth,
			want: []string{"401", "Negotiate, Basic", `auth "basic"`, "during create shell", "local accounts", testUser},
		},
		{
			name: "401 without Basic offered",
			hook: on("Create", func(w http.ResponseWriter) { unauthorized(w, false) }),
			kind: KindAuth,
			want: []string{"offers: Negotiate", `winrm set winrm/config/service/auth @{Basic="true"}`},
		},
		{
			name:   "QuotaLimit on Create",
			hook:   on("Create", soapReply(500, faultEnvelope("s:Sender", "w:QuotaLimit", "This user is allowed a maximum number of 30 concurrent shells, which has been exceeded.", 2150859173))),
			kind:   KindQuota,
			want:   []string{"MaxShellsPerUser", "2150859173", "30 concurrent shells"},
			checks: []check{fault("QuotaLimit")},
		},
		{
			name:   "AccessDenied on Create",
			hook:   on("Create", soapReply(500, faultEnvelope("s:Sender", "w:AccessDenied", "Access is denied.", 5))),
			kind:   KindAccessDenied,
			want:   []string{"permission", "Remote Management Users"},
			checks: []check{fault("AccessDenied")},
		},
		{
			name:   "fault on Command",
			hook:   on("Command", soapReply(500, faultEnvelope("s:Receiver", "w:InternalError", "The filename or extension is too long. ", 2147942606))),
			kind:   KindFault,
			want:   []string{"during start command", "filename or extension is too long"},
			checks: []check{fault("InternalError"), maxCount("Delete", 1)},
		},
		{
			name:   "fault on Receive ends the command",
			hook:   on("Receive", soapReply(500, faultEnvelope("s:Receiver", "w:InternalError", "The shell plugin crashed.", 2147943515))),
			kind:   KindFault,
			want:   []string{"during receive output", "shell plugin crashed"},
			checks: []check{maxCount("Receive", 2), fault("InternalError")},
		},
		{
			name:   "fault on Send ends the command",
			hook:   on("Send", soapReply(500, faultEnvelope("s:Sender", "w:InvalidSelectors", "The shell was not found.", 2150858843))),
			kind:   KindFault,
			want:   []string{"during send input", "no longer knows the shell"},
			checks: []check{maxCount("Receive", 2)},
		},
		{
			name:   "empty 200 SOAP body on Receive",
			hook:   on("Receive", soapReply(200, "")),
			kind:   KindProtocol,
			want:   []string{"empty"},
			checks: []check{maxCount("Receive", 2)},
		},
		{
			name: "non-XML body on Receive",
			hook: on("Receive", soapReply(200, "this is not XML <at all")),
			kind: KindProtocol,
			want: []string{"not XML", "this is not XML"},
		},
		{
			name: "XML that is not an envelope on Receive",
			hook: on("Receive", soapReply(200, "<html><body>hello</body></html>")),
			kind: KindProtocol,
			want: []string{"not a SOAP 1.2 envelope"},
		},
		{
			name: "truncated XML on Create",
			hook: on("Create", soapReply(200, createEnvelope("S1")[:200])),
			kind: KindProtocol,
			want: []string{"not well-formed XML"},
		},
		{
			name: "Create without ShellId",
			hook: on("Create", soapReply(200, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", "<x:ResourceCreated/>"))),
			kind: KindProtocol,
			want: []string{"no ShellId"},
		},
		{
			name: "Command reply with another action",
			hook: on("Command", soapReply(200, envelope(nsShell+"/ReceiveResponse", "<rsp:CommandResponse><rsp:CommandId>C</rsp:CommandId></rsp:CommandResponse>"))),
			kind: KindProtocol,
			want: []string{"not CommandResponse"},
		},
		{
			name: "503 text/html",
			hook: on("Create", func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				_, _ = w.Write([]byte("<html>Service Unavailable</html>"))
			}),
			kind: KindHTTP,
			want: []string{"503", "Service Unavailable", "Get-Service WinRM"},
		},
		{
			name: "404",
			hook: on("Create", func(w http.ResponseWriter) { http.NotFound(w, nil) }),
			kind: KindHTTP,
			want: []string{"404", "listener"},
		},
		{
			name: "500 without a SOAP body",
			hook: on("Create", func(w http.ResponseWriter) { http.Error(w, "boom", 500) }),
			kind: KindHTTP,
			want: []string{"500", "event log"},
		},
		{
			name: "200 with an HTML page",
			hook: on("Create", func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>IIS Windows Server</html>"))
			}),
			kind: KindProtocol,
			want: []string{"text/html", "IIS Windows Server"},
		},
	}
}

func TestErrorPaths(t *testing.T) {
	for _, tc := range errorPathCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeHost(t)
			f.hook = tc.hook
			_, cfg := f.start(t, false)
			c := mustNew(t, cfg)
			start := time.Now()
			_, err := c.RunPowerShell(context.Background(), "Get-Item C:\\", []byte("input"))
			if err == nil {
				t.Fatal("RunPowerShell succeeded, want an error")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s; errors must end the command promptly", d)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v (%v)", e.Kind, tc.kind, err)
			}
			msg := err.Error()
			for _, w := range append(tc.want, net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))) {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			for _, ch := range tc.checks {
				ch(t, f, err)
			}
			assertNoSecret(t, msg)
		})
	}
}

// TestUnproductivePollsArePaced covers hosts that answer Receive at once
// without output: the library would re-poll in a tight loop.
func TestUnproductivePollsArePaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reply string
		code  int
	}{
		{"TimedOut fault at once", timedOutFault, 500},
		{"Running without output at once", receiveEnvelope(nil, nil, false, 0), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeHost(t)
			f.hook = func(w http.ResponseWriter, r *http.Request, action string, n int) bool {
				if action == "Receive" {
					writeSOAP(w, tc.code, tc.reply)
					return true
				}
				return false
			}
			_, cfg := f.start(t, false)
			cfg.Timeout = time.Second
			_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindTimeout {
				t.Fatalf("want KindTimeout, got %v", err)
			}
			if got := f.count("Receive"); got > 12 {
				t.Errorf("%d Receive requests in 1s: polls are not paced", got)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	port := closedPort(t)
	for _, auth := range []string{AuthBasic, AuthNTLM} {
		t.Run(auth, func(t *testing.T) {
			c := mustNew(t, Config{Host: "127.0.0.1", Port: port, Username: testUser, Password: testPass, Auth: auth, AllowUnencrypted: true, Timeout: 5 * time.Second})
			_, err := c.RunPowerShell(context.Background(), "x", nil)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindConnect {
				t.Fatalf("want KindConnect, got %v", err)
			}
			for _, w := range []string{"refused", "127.0.0.1:" + strconv.Itoa(port), "winrm quickconfig"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestTLS(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"over tls"}
	srv, base := f.start(t, true)

	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		kind   Kind // -1: success
		want   []string
		before [2]string // want[0] appears before want[1]
	}{
		{
			name: "unknown CA",
			mod:  func(*Config) {},
			kind: KindTLS,
			want: []string{"Acme Co", "ca_cert", "tls_server_name"},
		},
		{
			name: "CA given",
			mod:  func(c *Config) { c.CACert = certPEM(srv) },
			kind: -1,
		},
		{
			name: "name not in certificate",
			mod:  func(c *Config) { c.CACert = certPEM(srv); c.Host = "localhost" },
			kind: KindTLS,
			want: []string{"not valid for \"localhost\"", "example.com", "tls_server_name"},
		},
		{
			name: "tls_server_name fixes the name",
			mod:  func(c *Config) { c.CACert = certPEM(srv); c.Host = "localhost"; c.TLSServerName = "example.com" },
			kind: -1,
		},
		{
			name: "insecure",
			mod:  func(c *Config) { c.Insecure = true },
			kind: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			c := mustNew(t, cfg)
			res, err := c.RunPowerShell(context.Background(), "x", nil)
			if tc.kind == -1 {
				if err != nil || string(res.Stdout) != "over tls" {
					t.Fatalf("got %q, %v", res.Stdout, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("want %v, got %v", tc.kind, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			// Verification off must never be the first suggestion.
			if i := strings.Index(msg, "insecure"); i >= 0 && i < strings.Index(msg, "tls_server_name") {
				t.Errorf("insecure suggested before the real fixes:\n%s", msg)
			}
		})
	}

	t.Run("https port spoken to over http", func(t *testing.T) {
		cfg := base
		cfg.HTTPS, cfg.AllowUnencrypted = false, true
		_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
		var e *Error
		if !errors.As(err, &e) || (e.Kind != KindHTTP && e.Kind != KindConnect) {
			t.Fatalf("want KindHTTP or KindConnect, got %v", err)
		}
	})
	t.Run("http port spoken to over https", func(t *testing.T) {
		plain := newFakeHost(t)
		_, cfg := plain.start(t, false)
		cfg.HTTPS = true
		_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindTLS || !strings.Contains(err.Error(), "https = false") {
			t.Fatalf("want KindTLS suggesting https = false, got %v", err)
		}
	})
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	hang := func(action string) hookFunc {
		return func(w http.ResponseWriter, r *http.Request, a string, n int) bool {
			if a != action {
				return false
			}
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return true
		}
	}
	for _, tc := range []struct {
		name     string
		hook     hookFunc
		timeout  time.Duration // Config.Timeout
		ctx      func() (context.Context, context.CancelFunc)
		kind     Kind
		want     string
		max      time.Duration
		deletion bool // the shell exists and must be deleted afterwards
		// limitAbout: the timeout the error names, within 50 ms below.
		limitAbout time.Duration
	}{
		{
			name: "config timeout while Receive hangs", hook: hang("Receive"), timeout: time.Second,
			ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			kind: KindTimeout, want: "within the timeout of 1s", max: 2 * time.Second, deletion: true,
		},
		{
			name: "caller deadline while Create hangs", hook: hang("Create"), timeout: time.Minute,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			// The caller's deadline is what remained of it when the call
			// began, to 10 ms: 300 ms, or a little less on a busy machine.
			kind: KindTimeout, want: "within the timeout of ", max: time.Second, limitAbout: 300 * time.Millisecond,
		},
		{
			name: "caller cancels while Receive hangs", hook: hang("Receive"), timeout: time.Minute,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(300*time.Millisecond, cancel)
				return ctx, cancel
			},
			kind: KindCanceled, want: "canceled", max: time.Second, deletion: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeHost(t)
			f.hook = tc.hook
			_, cfg := f.start(t, false)
			cfg.Timeout = tc.timeout
			c := mustNew(t, cfg)
			c.cleanupTimeout = time.Second
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := c.RunPowerShell(ctx, "x", nil)
			elapsed := time.Since(start)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("want %v, got %v", tc.kind, err)
			}
			if elapsed > tc.max {
				t.Errorf("returned after %s, want under %s", elapsed, tc.max)
			}
			for _, w := range []string{tc.want, cfg.Host} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if tc.limitAbout > 0 {
				_, after, _ := strings.Cut(err.Error(), tc.want)
				named := strings.TrimRight(strings.Fields(after + " x")[0], ":")
				d, perr := time.ParseDuration(named)
				if perr != nil || d > tc.limitAbout || d < tc.limitAbout-50*time.Millisecond {
					t.Errorf("the error names the timeout %q, want about %s: %v", named, tc.limitAbout, err)
				}
			}
			if tc.kind == KindTimeout && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = false")
			}
			if tc.deletion {
				// The shell is released in the background after the caller
				// got its error.
				deadline := time.Now().Add(3 * time.Second)
				for f.count("Delete") == 0 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if f.count("Delete") != 1 {
					t.Errorf("shell not deleted after the timeout")
				}
			}
		})
	}
}

func TestNTLMUnauthorized(t *testing.T) {
	f := newFakeHost(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, action string, n int) bool {
		unauthorized(w, false)
		return true
	}
	_, cfg := f.start(t, false)
	cfg.Auth = AuthNTLM
	cfg.AllowUnencrypted = false
	_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth {
		t.Fatalf("want KindAuth, got %v", err)
	}
	if !strings.Contains(err.Error(), `auth "ntlm"`) || !strings.Contains(err.Error(), "DOMAIN\\user") {
		t.Errorf("message lacks auth or hint: %v", err)
	}
	assertNoSecret(t, err.Error())
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Host: "dp01", Auth: AuthNTLM}, "http://dp01:5985/wsman"},
		{Config{Host: "dp01.contoso.com", HTTPS: true, Auth: AuthBasic}, "https://dp01.contoso.com:5986/wsman"},
		{Config{Host: "fe80::1", Port: 8080, Auth: AuthBasic, AllowUnencrypted: true}, "http://[fe80::1]:8080/wsman"},
	} {
		tc.cfg.Username, tc.cfg.Password = "u", "p"
		c := mustNew(t, tc.cfg)
		if got := c.Endpoint(); got != tc.want {
			t.Errorf("Endpoint() = %q, want %q", got, tc.want)
		}
	}
}
