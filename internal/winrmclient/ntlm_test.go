package winrmclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

// echoExecutor prints "<script>|<stdin>" for a command built by pscmd, and
// the raw command line otherwise (masterzen's own client). A pscmd command
// must have asked for stdin as a pipe (WINRS_CONSOLEMODE_STDIN=FALSE): the
// client sends its input with Send and expects the bytes as sent.
var echoExecutor = wsman.ExecutorFunc(func(_ context.Context, cmd wsman.Command, stdin io.Reader, stdout, stderr io.Writer) int {
	script, err := pscmd.Decode(cmd.CommandLine)
	if err != nil { // masterzen's client sends no end of input
		fmt.Fprint(stdout, cmd.CommandLine)
		return 0
	}
	if !cmd.PipeStdin {
		fmt.Fprintf(stderr, "stdin is a console (WINRS_CONSOLEMODE_STDIN=%q), not a pipe", cmd.Options[wsman.OptionConsoleModeStdin])
		return 1
	}
	in, _ := io.ReadAll(stdin)
	fmt.Fprintf(stdout, "%s|%s", script, in)
	return 0
})

// sim is the repository's WS-Management server as the host, configured
// like a domain-joined DP: Negotiate only, AllowUnencrypted=false.
type sim struct {
	srv  *wsman.Server
	ts   *httptest.Server
	cfg  Config // reaches it with NTLM
	cert *x509.Certificate
}

func startSim(t *testing.T, https bool, schemes ...wsman.Scheme) *sim {
	t.Helper()
	ntlmScheme := wsman.NewNTLMScheme(ntlm.Config{Users: map[string]string{"svc-iis": testPass}, ComputerName: "DP01"})
	if len(schemes) == 0 {
		schemes = []wsman.Scheme{ntlmScheme}
	}
	srv := wsman.NewServer(wsman.Options{Schemes: schemes, RefuseUnencrypted: true, Executor: echoExecutor})
	s := &sim{srv: srv}
	var cert *tls.Certificate
	if https {
		c, _, err := wsman.SelfSignedCertificate("localhost", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		cert, s.cert = &c, c.Leaf
		ntlmScheme.CheckChannelBindings(c.Leaf)
	}
	ts, host, port := serveHost(t, srv, cert, nil)
	s.ts = ts
	s.cfg = Config{Host: host, Port: port, HTTPS: https, Username: testUser, Password: testPass, Auth: AuthNTLM, Timeout: 10 * time.Second}
	if https {
		s.cfg.CACert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
	}
	return s
}

// TestNTLMEncryption: over HTTP every message is sealed (the host refuses
// anything else and counts what it unsealed), one handshake serves many
// messages, and the exchange count per command is far below masterzen's.
func TestNTLMEncryption(t *testing.T) {
	s := startSim(t, false)
	c := mustNew(t, s.cfg)
	const commands = 5
	for i := range commands {
		res, err := c.RunPowerShell(context.Background(), "Write-Output "+strconv.Itoa(i), []byte("stdin-"+strconv.Itoa(i)))
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if want := fmt.Sprintf("Write-Output %d|stdin-%d", i, i); string(res.Stdout) != want {
			t.Fatalf("stdout %q, want %q", res.Stdout, want)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, cs := s.srv.Stats(), c.Stats()
	if st.Unsealed != 0 || st.RefusedUnencrypted != 0 || st.Sealed == 0 {
		t.Errorf("host saw %d sealed, %d plain, %d refused messages; want all sealed", st.Sealed, st.Unsealed, st.RefusedUnencrypted)
	}
	if st.Handshakes != cs.Handshakes || cs.Handshakes > cs.Connections || cs.Handshakes > 3 {
		t.Errorf("handshakes: host %d, client %d over %d connections; want one per connection", st.Handshakes, cs.Handshakes, cs.Connections)
	}
	if st.Create != 1 || st.Delete != 1 || cs.ShellsReused != commands-1 {
		t.Errorf("shells: %d Create, %d Delete, %d reused; want one shell for all commands", st.Create, st.Delete, cs.ShellsReused)
	}
	if cs.Exchanges != st.Exchanges {
		t.Errorf("client counted %d exchanges, host %d", cs.Exchanges, st.Exchanges)
	}
	ours := float64(cs.Exchanges) / commands

	// masterzen's encryption transport on the same host, same commands
	// (without stdin: it races when a Send overlaps the Receive).
	params := *winrm.DefaultParameters
	params.TransportDecorator = func() winrm.Transporter { e, _ := winrm.NewEncryption("ntlm"); return e }
	wc, err := winrm.NewClientWithParameters(winrm.NewEndpoint(s.cfg.Host, s.cfg.Port, false, false, nil, nil, nil, 10*time.Second), testUser, testPass, &params)
	if err != nil {
		t.Fatal(err)
	}
	before := s.srv.Stats().Exchanges
	for i := range commands {
		if _, _, _, err := wc.RunCmdWithContext(context.Background(), "exit "+strconv.Itoa(i)); err != nil {
			t.Fatalf("masterzen: %v", err)
		}
	}
	theirs := float64(s.srv.Stats().Exchanges-before) / commands
	// t.Log, and a line in the summary `make test` prints at the end.
	testfixtures.Report(t, "winrmclient: HTTP exchanges per command over NTLM with encryption: ours %.1f "+
		"(%d handshakes, %d bytes sent, %d received for %d commands, shell reused), masterzen's encryption transport %.1f",
		ours, cs.Handshakes, cs.BytesSent, cs.BytesReceived, commands, theirs)
	if ours*2 > theirs {
		t.Errorf("ours %.1f exchanges per command, masterzen %.1f: want at most half", ours, theirs)
	}
}

// TestNTLMConcurrent: one client, many goroutines (run with -race); every
// connection keeps its own NTLM session.
func TestNTLMConcurrent(t *testing.T) {
	s := startSim(t, false)
	c := mustNew(t, s.cfg)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 {
				in := fmt.Sprintf("g%d-i%d", g, i)
				res, err := c.RunPowerShell(context.Background(), "x", []byte(in))
				if err != nil || string(res.Stdout) != "x|"+in {
					failed.Add(1)
					t.Errorf("%s: %q %v", in, res.Stdout, err)
				}
			}
		}()
	}
	wg.Wait()
	_ = c.Close(context.Background())
	if st := s.srv.Stats(); failed.Load() == 0 && (st.Unsealed != 0 || st.UnsealFailures != 0 || st.ShellsOpen != 0) {
		t.Errorf("host stats %+v", st)
	}
}

func TestNTLMOverHTTPS(t *testing.T) {
	s := startSim(t, true)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"ca_cert", func(*Config) {}},
		{"ca_cert and tls_server_name", func(c *Config) { c.Host = "127.0.0.1"; c.TLSServerName = "localhost" }},
		{"insecure", func(c *Config) { c.CACert = nil; c.Insecure = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := s.cfg
			tc.mod(&cfg)
			c := mustNew(t, cfg)
			res, err := c.RunPowerShell(context.Background(), "over tls", nil)
			if err != nil || string(res.Stdout) != "over tls|" {
				t.Fatalf("%q %v", res.Stdout, err)
			}
		})
	}
	// Over TLS the bodies are not sealed (TLS protects them), and the host
	// checked the channel bindings the client sent.
	if st := s.srv.Stats(); st.Sealed != 0 || st.Unsealed == 0 || st.AuthFailures != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Run("unknown CA", func(t *testing.T) {
		cfg := s.cfg
		cfg.CACert = nil
		_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindTLS || !strings.Contains(err.Error(), "wsman simulator") {
			t.Fatalf("want KindTLS naming the certificate, got %v", err)
		}
	})
}

func TestNTLMWrongPassword(t *testing.T) {
	s := startSim(t, false)
	cfg := s.cfg
	cfg.Password = "not-the-password"
	_, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth {
		t.Fatalf("want KindAuth, got %v", err)
	}
	for _, w := range []string{"rejected the credentials", testUser, `auth "ntlm"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	assertNoSecret(t, err.Error())
	if strings.Contains(err.Error(), "not-the-password") {
		t.Error("the wrong password is shown")
	}
}

// TestNTLMNeverFallsBackToBasic: a host that offers only Basic gets no
// credentials at all (masterzen's NTLM transport falls back to go-ntlmssp's
// Negotiator, which then sends the password with Basic).
func TestNTLMNeverFallsBackToBasic(t *testing.T) {
	var basicSeen atomic.Int32
	s := startSim(t, false, wsman.NewBasicScheme(map[string]string{testUser: testPass}))
	s.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
			basicSeen.Add(1)
		}
		s.srv.ServeHTTP(w, r)
	})
	_, err := mustNew(t, s.cfg).RunPowerShell(context.Background(), "x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth {
		t.Fatalf("want KindAuth, got %v", err)
	}
	for _, w := range []string{"does not offer Negotiate", "no credentials were sent", "it offers: Basic", `@{Negotiate="true"}`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if basicSeen.Load() != 0 {
		t.Error("Basic credentials were sent")
	}
}

// TestNTLMNeverDowngrades: a host (or a machine in the middle) that strips
// the sealing flags from the CHALLENGE gets no AUTHENTICATE and no message.
func TestNTLMNeverDowngrades(t *testing.T) {
	acc := ntlm.NewAcceptor(ntlm.Config{Users: map[string]string{"svc-iis": testPass}})
	var authenticates atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Negotiate "))
		switch ntlm.MessageType(tok) {
		case 1:
			_, chal, err := acc.Challenge(tok)
			if err != nil {
				t.Error(err)
			}
			flags := binary.LittleEndian.Uint32(chal[20:]) &^ (ntlm.FlagSeal | ntlm.FlagSign)
			binary.LittleEndian.PutUint32(chal[20:], flags)
			w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(chal))
		case 3:
			authenticates.Add(1)
		default:
			w.Header().Set("WWW-Authenticate", "Negotiate")
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	port, _ := strconv.Atoi(u.Port())
	_, err := mustNew(t, Config{Host: u.Hostname(), Port: port, Username: testUser, Password: testPass, Auth: AuthNTLM}).RunPowerShell(context.Background(), "x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth || !strings.Contains(err.Error(), "did not agree to NTLM message encryption") {
		t.Fatalf("want a refusal to go on without encryption, got %v", err)
	}
	if authenticates.Load() != 0 {
		t.Error("an AUTHENTICATE message was sent after the downgrade")
	}
}

// TestShellReuse: commands share one shell; with reuse off, each has its own.
func TestShellReuse(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("Naive=%t", off), func(t *testing.T) {
			s := startSim(t, false)
			cfg := s.cfg
			cfg.Naive = off
			c := mustNew(t, cfg)
			for range 3 {
				if _, err := c.RunPowerShell(context.Background(), "x", nil); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.Close(context.Background())
			st, cs := s.srv.Stats(), c.Stats()
			want := int64(1)
			if off {
				want = 3
			}
			if st.ShellsCreated != want || st.Delete != want || st.ShellsOpen != 0 || cs.ShellsCreated != want || cs.Commands != 3 {
				t.Errorf("host %+v client %+v: want %d shells", st, cs, want)
			}
			t.Logf("reuse off=%t: %d exchanges for 3 commands", off, cs.Exchanges)
		})
	}
}

// TestShellIdleDeletion: an idle shell is signalled and deleted after
// ShellIdleTimeout, and the host was asked to expire it after twice that
// (at least a second).
func TestShellIdleDeletion(t *testing.T) {
	s := startSim(t, false)
	cfg := s.cfg
	cfg.ShellIdleTimeout = 200 * time.Millisecond
	c := mustNew(t, cfg)
	if _, err := c.RunPowerShell(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for s.srv.Stats().ShellsOpen != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.srv.Stats(); st.ShellsOpen != 0 || st.Delete != 1 || st.Signal != 1 || st.ShellsExpired != 0 {
		t.Errorf("idle shell not signalled and deleted by the client: %+v", st)
	}
	c = mustNew(t, s.cfg)
	if got, want := c.withIdleTimeout("<rsp:Shell><rsp:InputStreams>"), "<rsp:Shell><rsp:IdleTimeOut>PT120.000S</rsp:IdleTimeOut><rsp:InputStreams>"; got != want {
		t.Errorf("Create body %q, want %q", got, want)
	}
}

// TestShellRecovery: when the host dropped the reused shell, the command
// runs once more in a new shell instead of failing.
func TestShellRecovery(t *testing.T) {
	f := newFakeHost(t)
	f.stdout = []string{"ok"}
	_, cfg := f.start(t, false)
	c := mustNew(t, cfg)
	if _, err := c.RunPowerShell(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	clear(f.shells) // the host restarted
	f.mu.Unlock()
	res, err := c.RunPowerShell(context.Background(), "x", nil)
	if err != nil || string(res.Stdout) != "ok" {
		t.Fatalf("after the shell vanished: %q %v", res.Stdout, err)
	}
	if cs := c.Stats(); cs.ShellRecoveries != 1 || cs.ShellsCreated != 2 {
		t.Errorf("stats %+v", cs)
	}
}
