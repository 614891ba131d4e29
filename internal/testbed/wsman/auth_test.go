package wsman

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/dp-tools/terraform-provider-iis/internal/encrypted"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

// domainJoined is what a DP answers out of the box: Negotiate only, and no
// unencrypted messages over HTTP.
func domainJoined(extra ...Scheme) Options {
	return Options{
		Schemes:           append([]Scheme{NewNTLMScheme(ntlm.Config{Users: map[string]string{testUser: testPass}})}, extra...),
		RefuseUnencrypted: true,
	}
}

// startTLS serves srv over HTTPS with a fresh certificate and returns the
// fixture and the certificate's PEM.
func startTLS(t *testing.T, opts Options, clientAuth tls.ClientAuthType) (*fixture, []byte) {
	t.Helper()
	cert, certPEM, err := SelfSignedCertificate("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	exec := &testExecutor{}
	opts.Executor = exec
	srv := NewServer(opts)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnContext = srv.ConnContext
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ClientAuth: clientAuth}
	ts.StartTLS()
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return newFixture(t, srv, exec, ts), certPEM
}

// guardedEncryption is masterzen's encryption transport with the guard our
// client has: it returns an empty body as success when a reply is not
// encrypted, which makes the library panic on its Receive goroutine.
type guardedEncryption struct{ *winrm.Encryption }

func (g guardedEncryption) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	body, err := g.Encryption.Post(c, m)
	if err == nil && strings.TrimSpace(body) == "" {
		return "", errors.New("empty or unencrypted reply")
	}
	return body, err
}

// masterzen's own NTLM encryption transport, an implementation independent
// of ours, talks to the server: the server's framing, sealing and key
// derivation match what real clients do.
func TestMasterzenEncryptedNTLM(t *testing.T) {
	t.Parallel()
	f := startServer(t, domainJoined())
	params := *winrm.DefaultParameters
	params.TransportDecorator = func() winrm.Transporter {
		enc, err := winrm.NewEncryption("ntlm")
		if err != nil {
			t.Fatal(err)
		}
		return guardedEncryption{enc}
	}
	run := func(pass string) (string, string, int, error) {
		ep := winrm.NewEndpoint(f.host, f.port, false, false, nil, nil, nil, 10*time.Second)
		c, err := winrm.NewClientWithParameters(ep, testUser, pass, &params)
		if err != nil {
			t.Fatal(err)
		}
		// No stdin: masterzen's encryption transport races when a Send
		// overlaps the Receive long-poll.
		return c.RunCmdWithContext(context.Background(), "stderr sealed-both-ways")
	}
	// masterzen re-authenticates for every message and relies on net/http's
	// shared pool to keep the handshake and the message on one connection;
	// now and then the pool switches connections (the host then refuses the
	// message, as Windows would), so a run may be retried.
	var stdout, stderr string
	var code int
	var err error
	for range 3 {
		if stdout, stderr, code, err = run(testPass); err == nil {
			break
		}
	}
	if err != nil || stdout != "out" || stderr != "sealed-both-ways" || code != 3 {
		t.Fatalf("got %q %q %d %v", stdout, stderr, code, err)
	}
	if st := f.srv.Stats(); st.Sealed < 4 || st.Handshakes < st.Sealed {
		t.Errorf("stats %+v: want every message sealed, each after a handshake of its own", st)
	}
	// A wrong password fails the handshake; masterzen then falls back to
	// plain NTLM, which this host refuses.
	if _, _, _, err := run("wrong"); err == nil {
		t.Error("wrong password accepted")
	}
}

// Plain NTLM (masterzen's ClientNTLM) sends bodies in clear: a host with
// AllowUnencrypted=false refuses them over HTTP and accepts them over HTTPS.
func TestUnencryptedNTLM(t *testing.T) {
	t.Parallel()
	clientNTLM := func(https bool, port int, host string, ca []byte) error {
		params := *winrm.DefaultParameters
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
		ep := winrm.NewEndpoint(host, port, https, false, ca, nil, nil, 10*time.Second)
		c, err := winrm.NewClientWithParameters(ep, testUser, testPass, &params)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = c.RunCmdWithContext(context.Background(), "exit 0")
		return err
	}
	f := startServer(t, domainJoined())
	if err := clientNTLM(false, f.port, f.host, nil); err == nil {
		t.Error("plain NTLM over HTTP accepted by a host refusing unencrypted messages")
	}
	if st := f.srv.Stats(); st.RefusedUnencrypted == 0 || st.Create != 0 {
		t.Errorf("stats %+v", st)
	}
	tf, certPEM := startTLS(t, domainJoined(), tls.NoClientCert)
	if err := clientNTLM(true, tf.port, tf.host, certPEM); err != nil {
		t.Errorf("plain NTLM over HTTPS: %v", err)
	}
}

// rawNTLM drives a handshake by hand on one connection and returns the
// client session, to check the HTTP shape of each leg.
func TestNTLMWireShape(t *testing.T) {
	t.Parallel()
	f := startServer(t, domainJoined(NewBasicScheme(map[string]string{testUser: testPass})))
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	post := func(auth, ct string, body []byte) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, f.url(), bytes.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Content-Type", ct)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	// Anonymous: 401 offering both schemes, Negotiate first.
	resp := post("", soapCT, nil)
	if got := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != 401 || !slices.Equal(got, []string{"Negotiate", `Basic realm="WSMAN"`}) {
		t.Fatalf("anonymous: %d %q", resp.StatusCode, got)
	}
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPass), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := c.Authenticate(nil, nil)
	resp = post("Negotiate "+base64.StdEncoding.EncodeToString(neg), soapCT, nil)
	chal, ok := strings.CutPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ")
	if resp.StatusCode != 401 || !ok {
		t.Fatalf("NEGOTIATE: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	cb, _ := base64.StdEncoding.DecodeString(chal)
	auth, err := c.Authenticate(cb, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp = post("Negotiate "+base64.StdEncoding.EncodeToString(auth), soapCT, nil)
	if resp.StatusCode != 200 || resp.ContentLength != 0 {
		t.Fatalf("AUTHENTICATE: %d, %d bytes", resp.StatusCode, resp.ContentLength)
	}
	// The connection is authenticated: a sealed Create without any
	// Authorization header works and its reply is sealed.
	framed, err := encrypted.Encode(c.SecuritySession(), []byte(winrm.NewOpenShellRequest(f.url(), nil).String()), soapCT)
	if err != nil {
		t.Fatal(err)
	}
	resp = post("", encrypted.ContentType, framed)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !encrypted.Is(resp.Header.Get("Content-Type")) {
		t.Fatalf("sealed Create: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if bytes.Contains(body, []byte("ShellId")) {
		t.Error("the reply is not sealed")
	}
	plain, typ, err := encrypted.Decode(c.SecuritySession(), body)
	if err != nil || typ != soapCT {
		t.Fatalf("Decode: %v %q", err, typ)
	}
	if id, err := winrm.ParseOpenShellResponse(string(plain)); err != nil || id == "" {
		t.Errorf("shell id %q %v", id, err)
	}
	// A plain body on the same authenticated connection is refused.
	resp = post("", soapCT, []byte(winrm.NewOpenShellRequest(f.url(), nil).String()))
	if resp.StatusCode != 500 {
		t.Errorf("plain body on an NTLM connection over HTTP: %d, want 500", resp.StatusCode)
	}
	// Basic over HTTP is refused too.
	req, _ := http.NewRequest(http.MethodPost, f.url(), strings.NewReader(winrm.NewOpenShellRequest(f.url(), nil).String()))
	req.SetBasicAuth(testUser, testPass)
	req.Header.Set("Content-Type", soapCT)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 401 {
		t.Errorf("Basic over HTTP with AllowUnencrypted=false: %d, want 401", r2.StatusCode)
	}
	if st := f.srv.Stats(); st.Sealed != 1 || st.Handshakes != 1 || st.ShellsCreated != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestCertificateMapping(t *testing.T) {
	t.Parallel()
	ca, err := NewCA("test client CA")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCA("unmapped CA")
	opts := Options{Schemes: []Scheme{NewCertScheme(CertMapping{Issuer: ca.Cert, Subject: "tf-acc@localhost", User: "tf-acc"})}}
	f, certPEM := startTLS(t, opts, tls.RequestClientCert)
	run := func(cert, key []byte) error {
		params := *winrm.DefaultParameters
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientAuthRequest{} }
		ep := winrm.NewEndpoint(f.host, f.port, true, false, certPEM, cert, key, 10*time.Second)
		c, err := winrm.NewClientWithParameters(ep, "", "", &params)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = c.RunCmdWithContext(context.Background(), "exit 0")
		return err
	}
	good, goodKey, err := ca.IssueClient("tf-acc@localhost")
	if err != nil {
		t.Fatal(err)
	}
	if err := run(good, goodKey); err != nil {
		t.Fatalf("mapped certificate: %v", err)
	}
	for name, issue := range map[string]func() ([]byte, []byte, error){
		"other subject": func() ([]byte, []byte, error) { return ca.IssueClient("someone@localhost") },
		"other issuer":  func() ([]byte, []byte, error) { return other.IssueClient("tf-acc@localhost") },
	} {
		cert, key, _ := issue()
		if err := run(cert, key); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
	if names := subjectNames(mustParse(t, good)); !slices.Equal(names, []string{"tf-acc@localhost", "tf-acc@localhost"}) {
		t.Errorf("subject names %q", names)
	}
}

func mustParse(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
