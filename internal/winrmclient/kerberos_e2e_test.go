package winrmclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/dp-tools/terraform-provider-iis/internal/encrypted"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
)

var exitZero = wsman.ExecutorFunc(func(_ context.Context, _ wsman.Command, stdin io.Reader, stdout, _ io.Writer) int {
	b, _ := io.ReadAll(stdin)
	_, _ = stdout.Write(b)
	return 0
})

type krbHost struct {
	srv *wsman.Server
	ts  *httptest.Server
	cfg winrmclient.Config
}

// startKerberosHost is a domain-joined DP accepting Kerberos for
// HTTP/localhost of the test KDC, AllowUnencrypted=false. bindTo, over TLS,
// is the certificate the host expects channel bindings for (nil: its own);
// wrap sits between the client and the host.
func startKerberosHost(t *testing.T, kdc *acctest.KDC, https, strict bool, bindTo *x509.Certificate, wrap func(http.Handler) http.Handler) *krbHost {
	t.Helper()
	scheme := wsman.NewKerberosScheme(kdc.Service)
	srv := wsman.NewServer(wsman.Options{Schemes: []wsman.Scheme{scheme}, RefuseUnencrypted: true, Executor: exitZero})
	var cert *tls.Certificate
	var certPEM []byte
	if https {
		c, _, err := wsman.SelfSignedCertificate("localhost", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if bindTo == nil {
			bindTo = c.Leaf
		}
		scheme.CheckChannelBindings(bindTo, strict)
		cert, certPEM = &c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Raw})
	}
	ts, _, port := winrmclient.ServeHost(t, srv, cert, wrap)
	return &krbHost{srv: srv, ts: ts, cfg: winrmclient.Config{
		Host: "localhost", Port: port, HTTPS: https, CACert: certPEM, Auth: winrmclient.AuthKerberos,
		Username: acctest.SimUser, Password: acctest.SimPassword, Krb5Conf: kdc.Krb5Conf, Timeout: 20 * time.Second,
	}}
}

func run(t *testing.T, cfg winrmclient.Config, n int) (*winrmclient.Client, error) {
	t.Helper()
	c, err := winrmclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	for i := range n {
		in := "input " + strconv.Itoa(i)
		res, err := c.RunPowerShell(context.Background(), "Get-Content", []byte(in))
		if err != nil {
			return c, err
		}
		if string(res.Stdout) != in {
			t.Fatalf("stdout %q, want %q", res.Stdout, in)
		}
	}
	return c, nil
}

// TestKerberosSealsOverHTTP: over HTTP the Kerberos context seals every
// message after the login; the host refuses plain ones and saw none.
func TestKerberosSealsOverHTTP(t *testing.T) {
	kdc := acctest.StartKDC(t)
	h := startKerberosHost(t, kdc, false, false, nil, nil)
	c, err := run(t, h.cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, cs := h.srv.Stats(), c.Stats()
	if st.Unsealed != 0 || st.RefusedUnencrypted != 0 || st.UnsealFailures != 0 || st.Sealed == 0 {
		t.Errorf("host saw %d sealed, %d plain, %d refused, %d unseal failures; want all sealed", st.Sealed, st.Unsealed, st.RefusedUnencrypted, st.UnsealFailures)
	}
	if st.Sealed != st.Create+st.Command+st.Send+st.Receive+st.Signal+st.Delete {
		t.Errorf("%d sealed messages for %+v", st.Sealed, st)
	}
	if st.Handshakes == 0 || st.Handshakes != cs.Handshakes || cs.Handshakes > cs.Connections {
		t.Errorf("handshakes: host %d, client %d over %d connections", st.Handshakes, cs.Handshakes, cs.Connections)
	}
}

// TestKerberosStrictChannelBinding: a host with CbtHardeningLevel=Strict
// accepts the client over HTTPS (it binds the login to the TLS
// certificate); behind something that shows another certificate the login
// is refused, and the error names the channel binding.
func TestKerberosStrictChannelBinding(t *testing.T) {
	kdc := acctest.StartKDC(t)
	h := startKerberosHost(t, kdc, true, true, nil, nil)
	if _, err := run(t, h.cfg, 2); err != nil {
		t.Fatalf("Strict host refused the client: %v", err)
	}
	if st := h.srv.Stats(); st.Handshakes == 0 || st.AuthFailures != 0 {
		t.Errorf("want a clean Kerberos login: %+v", st)
	}

	other, _, err := wsman.SelfSignedCertificate("proxy.example", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h = startKerberosHost(t, kdc, true, true, other.Leaf, nil)
	_, err = run(t, h.cfg, 1)
	if err == nil {
		t.Fatal("a login bound to another certificate was accepted")
	}
	msg := err.Error()
	for _, want := range []string{"localhost:" + strconv.Itoa(h.cfg.Port), "channel binding", "CbtHardeningLevel=Strict"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %v", want, msg)
		}
	}
	for _, wrong := range []string{"clock", "keytab", "setspn"} {
		if strings.Contains(msg, wrong) {
			t.Errorf("error blames %q: %v", wrong, msg)
		}
	}
	if st := h.srv.Stats(); st.Create != 0 {
		t.Errorf("a message reached the host: %+v", st)
	}
}

// TestKerberosRefusesUnauthenticatedHost: a login answered with success
// but a missing, forged, random or rejecting reply ends there, over HTTP
// and HTTPS: no message (no Create, so no file read) reaches the host.
func TestKerberosRefusesUnauthenticatedHost(t *testing.T) {
	kdc := acctest.StartKDC(t)
	neg := func(b []byte) string { return "Negotiate " + base64.StdEncoding.EncodeToString(b) }
	random := func() string {
		b := make([]byte, 96)
		_, _ = rand.Read(b)
		b[0] = 0xa1 + b[0]%2 // not 0x60, a GSS-API token's tag (see TestKerberosLoginVerifiesReply)
		return neg(b)
	}
	for _, tc := range []struct {
		name  string
		value func() string
		want  string
	}{
		{"missing", func() string { return "" }, "carries no AP-REP"},
		{"forged", func() string { return acctest.ForgedKerberosReply(t) }, "does not decrypt with the ticket's session key"},
		{"random bytes", random, "neither a SPNEGO NegTokenResp nor a Kerberos context token"},
		{"SPNEGO reject", func() string { return acctest.RejectKerberosReply(t) }, "SPNEGO reject"},
	} {
		for _, https := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: " over http", true: " over https"}[https], func(t *testing.T) {
				h := startKerberosHost(t, kdc, https, false, nil, acctest.ReplaceFinalReply(tc.value))
				_, err := run(t, h.cfg, 1)
				if err == nil {
					t.Fatal("the client trusted a host that did not authenticate")
				}
				for _, want := range []string{"localhost:" + strconv.Itoa(h.cfg.Port), "the host was not authenticated", tc.want} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q: %v", want, err)
					}
				}
				if st := h.srv.Stats(); st.Create != 0 || st.Sealed != 0 || st.Unsealed != 0 {
					t.Errorf("a message reached the host: %+v", st)
				}
			})
		}
	}
}

// TestKerberosDiagnostics: each Kerberos failure a user meets, against the
// MIT KDC, gets a diagnostic that names the host and the fix.
func TestKerberosDiagnostics(t *testing.T) {
	kdc := acctest.StartKDC(t)
	closed := acctest.FreePort(t)
	staleKeytab := keytab.New()
	if err := staleKeytab.AddEntry("HTTP/localhost", kdc.Realm, "not-the-key", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mod    func(c *winrmclient.Config)
		keytab *keytab.Keytab
		want   []string
	}{
		{"unknown SPN", func(c *winrmclient.Config) { c.SPN = "HTTP/dp99.iis.test" },
			nil, []string{"cannot get a Kerberos ticket for HTTP/dp99.iis.test", "KDC_ERR_S_PRINCIPAL_UNKNOWN", "The KDC does not know the service principal", "setspn -L"}},
		{"KDC unreachable", func(c *winrmclient.Config) {
			c.Krb5Conf = strings.Replace(c.Krb5Conf, "kdc = 127.0.0.1:", "kdc = 127.0.0.1:"+strconv.Itoa(closed)+"#", 1)
		}, nil, []string{"cannot get a Kerberos ticket", "No KDC of the realm answered", "port 88"}},
		{"wrong realm", func(c *winrmclient.Config) { c.Realm = "CORP.EXAMPLE" },
			nil, []string{"cannot get a Kerberos ticket", "The realm is not the user's", "[realms]"}},
		{"wrong password", func(c *winrmclient.Config) { c.Password = "not-the-password" },
			nil, []string{"cannot get a Kerberos ticket", `The KDC rejected the password (or keytab) of "tf-acc"`}},
		{"host with a stale key", func(*winrmclient.Config) {},
			staleKeytab, []string{"the host refused the Kerberos login with a ticket for HTTP/localhost (HTTP 401); it answered (41) KRB_AP_ERR_MODIFIED", "cannot decrypt the ticket", "setspn -Q HTTP/localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := *kdc
			if tc.keytab != nil {
				k.Service = tc.keytab
			}
			h := startKerberosHost(t, &k, false, false, nil, nil)
			tc.mod(&h.cfg)
			_, err := run(t, h.cfg, 1)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, want := range append([]string{"localhost:" + strconv.Itoa(h.cfg.Port), `(auth "kerberos")`}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q", want)
				}
			}
			if strings.Contains(err.Error(), "not-the-password") {
				t.Error("the password leaked")
			}
		})
	}
}

// TestKerberosReauthenticates: when the host drops the connection, or
// answers 401 on it because it lost the security context (a restarted
// WinRM service), the client logs in again on a fresh connection and goes
// on sealed: never a message in clear.
func TestKerberosReauthenticates(t *testing.T) {
	kdc := acctest.StartKDC(t)
	var forget atomic.Bool
	lostContext := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" && forget.CompareAndSwap(true, false) {
				w.Header().Set("WWW-Authenticate", "Negotiate")
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := startKerberosHost(t, kdc, false, false, nil, lostContext)
	c, err := winrmclient.New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	runOne := func(in string) {
		t.Helper()
		res, err := c.RunPowerShell(context.Background(), "Get-Content", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Stdout) != in {
			t.Fatalf("stdout %q", res.Stdout)
		}
	}
	runOne("first")
	before := c.Stats().Handshakes
	h.ts.CloseClientConnections()
	runOne("after the host closed the connection")
	afterClose := c.Stats().Handshakes
	forget.Store(true)
	runOne("after the host lost the context")
	if afterClose <= before || c.Stats().Handshakes <= afterClose {
		t.Errorf("logins: %d, then %d after the close, %d after the lost context; want a new login each time", before, afterClose, c.Stats().Handshakes)
	}
	if st := h.srv.Stats(); st.Unsealed != 0 || st.RefusedUnencrypted != 0 {
		t.Errorf("a message went in clear: %+v", st)
	}
}

// TestKerberosConcurrent: one client, many goroutines (run with -race):
// every connection keeps its own Kerberos context and sequence numbers.
func TestKerberosConcurrent(t *testing.T) {
	kdc := acctest.StartKDC(t)
	h := startKerberosHost(t, kdc, false, false, nil, nil)
	c, err := winrmclient.New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 {
				in := "g" + strconv.Itoa(g) + "-i" + strconv.Itoa(i)
				res, err := c.RunPowerShell(context.Background(), "Get-Content", []byte(in))
				if err != nil || string(res.Stdout) != in {
					t.Errorf("%s: %q %v", in, res.Stdout, err)
				}
			}
		}()
	}
	wg.Wait()
	_ = c.Close(context.Background())
	st, cs := h.srv.Stats(), c.Stats()
	if st.Unsealed != 0 || st.UnsealFailures != 0 || st.ShellsOpen != 0 || cs.Handshakes == 0 || st.Handshakes != cs.Handshakes {
		t.Errorf("host %+v; client logins %d", st, cs.Handshakes)
	}
}

// TestKerberosHostRefusesPlainMessages holds the simulated host to its
// AllowUnencrypted=false (the service default, "winrm get winrm/config";
// Microsoft's "Installation and configuration for Windows Remote
// Management") over HTTP after a Kerberos login: the messages must come
// sealed with the login's context (MS-WSMV 2.2.9.1), so a SOAP body in
// clear on the authenticated connection, or in the login request itself,
// is refused with 500 and never dispatched, while a sealed one on the same
// connection is unsealed.
func TestKerberosHostRefusesPlainMessages(t *testing.T) {
	kdc := acctest.StartKDC(t)
	h := startKerberosHost(t, kdc, false, false, nil, nil)
	envelope := []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>`)
	const soap = "application/soap+xml;charset=UTF-8"
	for _, inLogin := range []bool{false, true} {
		t.Run(map[bool]string{false: "after the login", true: "in the login request"}[inLogin], func(t *testing.T) {
			before := h.srv.Stats()
			// One connection, so the login's context is the one in use.
			hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, DisableCompression: true}}
			defer hc.CloseIdleConnections()
			post := func(auth string, body []byte, contentType string) *http.Response {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/wsman", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				req.Header.Set("Content-Type", contentType)
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				return resp
			}
			tok, complete, err := winrmclient.KerberosLogin(h.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			var loginBody []byte
			if inLogin {
				loginBody = envelope
			}
			resp := post("Negotiate "+base64.StdEncoding.EncodeToString(tok), loginBody, soap)
			if inLogin {
				if resp.StatusCode != http.StatusInternalServerError {
					t.Fatalf("a plain body in the login request: HTTP %d, want 500", resp.StatusCode)
				}
				if st := h.srv.Stats(); st.RefusedUnencrypted != before.RefusedUnencrypted+1 || st.Create+st.OtherActions != before.Create+before.OtherActions {
					t.Errorf("the host dispatched or did not count the plain body: %+v", st)
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("login: HTTP %d", resp.StatusCode)
			}
			reply, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate "))
			if err != nil {
				t.Fatal(err)
			}
			ctx, err := complete(reply)
			if err != nil {
				t.Fatal(err)
			}
			if resp := post("", envelope, soap); resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("a plain body on the Kerberos connection: HTTP %d, want 500", resp.StatusCode)
			}
			st := h.srv.Stats()
			if st.RefusedUnencrypted != before.RefusedUnencrypted+1 || st.OtherActions != before.OtherActions {
				t.Errorf("the host dispatched or did not count the plain body: %+v", st)
			}
			sealed, err := encrypted.Encode(ctx, envelope, soap)
			if err != nil {
				t.Fatal(err)
			}
			post("", sealed, encrypted.ContentTypeOf(ctx))
			if got := h.srv.Stats(); got.Sealed != st.Sealed+1 || got.UnsealFailures != st.UnsealFailures || got.RefusedUnencrypted != st.RefusedUnencrypted {
				t.Errorf("the sealed body on the same connection was not unsealed: %+v", got)
			}
		})
	}
}
