package winrmclient_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
)

// mitAcceptor is an HTTP service on MIT Kerberos's own GSS-API acceptor
// (python3-gssapi): nothing the project wrote checks the client's login,
// its channel bindings or its sealed messages. POST /login takes
// "Authorization: Negotiate" and answers 200 with MIT's final token (or 401
// with the GSS error); POST /echo takes uint32le(len) signature data, as
// MS-WSMV frames a sealed message, unwraps it with gss_unwrap and answers
// "echo:"+message sealed with gss_wrap_iov (header, data, padding: what
// pywinrm and Windows send).
const mitAcceptor = `
import base64, struct, sys, gssapi, gssapi.raw as raw
from http.server import BaseHTTPRequestHandler, HTTPServer
bindings = bytes.fromhex(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
state = {}
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def reply(self, code, body=b'', hdr=None):
        self.send_response(code)
        if hdr: self.send_header('WWW-Authenticate', hdr)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        if self.path == '/login':
            tok = base64.b64decode(self.headers['Authorization'].split(' ', 1)[1])
            cb = gssapi.raw.ChannelBindings(application_data=bindings) if bindings else None
            ctx = gssapi.SecurityContext(creds=gssapi.Credentials(usage='accept'), usage='accept', channel_bindings=cb)
            try:
                out = ctx.step(tok)
                done = ctx.complete  # re-raises an error SPNEGO kept from the step
            except Exception as e:
                return self.reply(401, str(e).encode())
            if not done:
                return self.reply(401, b'not established', 'Negotiate ' + base64.b64encode(out or b'').decode())
            state['ctx'] = ctx
            flags = ctx.actual_flags
            info = ('complete=%s mutual=%s conf=%s' % (ctx.complete, gssapi.RequirementFlag.mutual_authentication in flags, gssapi.RequirementFlag.confidentiality in flags)).encode()
            return self.reply(200, info, 'Negotiate ' + base64.b64encode(out or b'').decode())
        ctx = state['ctx']
        n = struct.unpack('<I', body[:4])[0]
        try:
            msg = ctx.unwrap(body[4:]).message
        except Exception as e:
            return self.reply(400, str(e).encode())
        iov = raw.IOV(raw.IOVBufferType.header, b'echo:' + msg, raw.IOVBufferType.padding, std_layout=False)
        raw.wrap_iov(ctx, iov, confidential=True)
        pad = iov[2].value or b''
        self.reply(200, struct.pack('<I', len(iov[0].value)) + iov[0].value + iov[1].value + pad)
srv = HTTPServer(('127.0.0.1', 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

func startMITAcceptor(t *testing.T, kdc *acctest.KDC, bindings []byte) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import gssapi").Run(); err != nil {
		t.Skip("python3-gssapi is not installed (make test installs it: tools/install-debs.sh)")
	}
	dir := t.TempDir()
	conf, kt := filepath.Join(dir, "krb5.conf"), filepath.Join(dir, "http.keytab")
	if err := os.WriteFile(conf, []byte(kdc.Krb5Conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := kdc.Service.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kt, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", mitAcceptor, hexOf(bindings))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KRB5_CONFIG=" + conf, "KRB5_KTNAME=FILE:" + kt}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the MIT acceptor did not start: %v", err)
	}
	return "http://127.0.0.1:" + strings.TrimSpace(port)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestKerberosAgainstMIT: MIT's acceptor takes the client's login (mutual
// authentication and confidentiality granted, channel bindings checked),
// the client verifies MIT's AP-REP, MIT unwraps the client's sealed
// messages and the client unwraps MIT's, several in a row.
func TestKerberosAgainstMIT(t *testing.T) {
	kdc := acctest.StartKDC(t)
	bindings := append([]byte("tls-server-end-point:"), bytes.Repeat([]byte{0xab}, 32)...)
	cfg := winrmclient.Config{Host: "LocalHost", Auth: winrmclient.AuthKerberos, Username: acctest.SimUser, Password: acctest.SimPassword, Krb5Conf: kdc.Krb5Conf}
	hc := &http.Client{Timeout: 10 * time.Second}
	post := func(t *testing.T, url string, auth string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	t.Run("sealed messages both ways", func(t *testing.T) {
		url := startMITAcceptor(t, kdc, bindings)
		tok, complete, err := winrmclient.KerberosLogin(cfg, bindings)
		if err != nil {
			t.Fatal(err)
		}
		resp, info := post(t, url+"/login", "Negotiate "+base64.StdEncoding.EncodeToString(tok), nil)
		if resp.StatusCode != http.StatusOK || string(info) != "complete=True mutual=True conf=True" {
			t.Fatalf("MIT: %d %s", resp.StatusCode, info)
		}
		reply, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate "))
		if err != nil {
			t.Fatal(err)
		}
		ctx, err := complete(reply)
		if err != nil {
			t.Fatalf("the client refused MIT's AP-REP: %v", err)
		}
		for _, msg := range []string{"<s:Envelope>Create</s:Envelope>", strings.Repeat("payload ", 3000), "x"} {
			sealed, sig, err := ctx.Wrap([]byte(msg))
			if err != nil {
				t.Fatal(err)
			}
			framed := binary.LittleEndian.AppendUint32(nil, uint32(len(sig)))
			framed = append(append(framed, sig...), sealed...)
			resp, body := post(t, url+"/echo", "", framed)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("MIT could not unwrap the client's message: %d %s", resp.StatusCode, body)
			}
			n := binary.LittleEndian.Uint32(body)
			got, err := ctx.Unwrap(body[4+n:], body[4:4+n])
			if err != nil {
				t.Fatalf("the client could not unwrap MIT's message: %v", err)
			}
			if string(got) != "echo:"+msg {
				t.Fatalf("round trip through MIT: %.40q", got)
			}
		}
	})
	t.Run("bindings for another certificate", func(t *testing.T) {
		url := startMITAcceptor(t, kdc, bindings)
		other := append([]byte("tls-server-end-point:"), bytes.Repeat([]byte{0xcd}, 32)...)
		tok, _, err := winrmclient.KerberosLogin(cfg, other)
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := post(t, url+"/login", "Negotiate "+base64.StdEncoding.EncodeToString(tok), nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("MIT accepted a login bound to another channel: %d %s", resp.StatusCode, body)
		}
	})
}
