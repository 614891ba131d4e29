package dpsim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// pywinrmRead runs the provider's loader with a read request through
// Debian's python3-winrm, over HTTPS with Kerberos: requests-kerberos
// (pykerberos on MIT GSS-API) sends a raw krb5 token and requires mutual
// authentication. Debian's pykerberos 1.1.14 cannot send channel bindings
// (send_cbt asks, but it lacks channelBindings), so the host is Relaxed,
// the Windows default. pywinrm 0.3.0 has no
// method for command input, so the Send is built with its own envelope
// helpers, as later pywinrm's send_command_input does.
const pywinrmRead = `
import base64, sys, xmltodict
from winrm.protocol import Protocol
endpoint, command, stdin_file, out_file = sys.argv[1:5]
p = Protocol(endpoint, transport='kerberos', username='tf-acc@IIS.TEST', server_cert_validation='ignore', send_cbt=True)
shell = p.open_shell()
cid = p.run_command(shell, command)
req = {'env:Envelope': p._get_soap_header(
    resource_uri='http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd',
    action='http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send', shell_id=shell)}
stream = req['env:Envelope'].setdefault('env:Body', {}).setdefault('rsp:Send', {}).setdefault('rsp:Stream', {})
stream['@Name'] = 'stdin'
stream['@CommandId'] = cid
stream['@End'] = 'true'
stream['#text'] = base64.b64encode(open(stdin_file, 'rb').read()).decode()
p.send_message(xmltodict.unparse(req))
out, err, code = p.get_command_output(shell, cid)
p.cleanup_command(shell, cid)
p.close_shell(shell)
open(out_file, 'wb').write(out)
sys.exit(code)
`

// TestPywinrmKerberosReadsTheFile: an independent client (pywinrm with
// MIT Kerberos, mutual authentication required) reads the served file over
// HTTPS from the simulator. Without
// the AP-REP in the answer it refuses the simulator: the positive case
// rests on the simulator's mutual authentication.
func TestPywinrmKerberosReadsTheFile(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import winrm, requests_kerberos, xmltodict").Run(); err != nil {
		t.Skip("python3-winrm and python3-requests-kerberos are not installed (make test installs them: tools/install-debs.sh)")
	}
	kinit, err := exec.LookPath("kinit")
	if err != nil {
		t.Skip("kinit is not installed (tools/install-kdc.sh installs krb5-user)")
	}
	kdc := acctest.StartKDC(t)
	dir := t.TempDir()
	krb5conf := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5conf, []byte(kdc.Krb5Conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "KRB5_CONFIG=" + krb5conf, "KRB5CCNAME=FILE:" + filepath.Join(dir, "ccache")}
	kin := exec.Command(kinit, "-k", "-t", kdc.UserKeytab, acctest.SimUser+"@"+kdc.Realm)
	kin.Env = env // REQUESTS_CA_BUNDLE must not reach pywinrm: it overrides server_cert_validation
	if out, err := kin.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	command, err := pscmd.Encode(remotefile.Loader)
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := remotefile.EncodeRequest(remotefile.ReadScript, remotefile.ReadParams{Path: `%windir%\System32\inetsrv\config\applicationHost.config`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stdinFile := filepath.Join(dir, "stdin")
	if err := os.WriteFile(stdinFile, stdin, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "read.py")
	if err := os.WriteFile(script, []byte(pywinrmRead), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, wrap func(http.Handler) http.Handler, strict ...bool) (*dpsim.Sim, string) {
		file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
		sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: acctest.SimUser, Password: acctest.SimPassword, TLS: true,
			Auth: &dpsim.Auth{Kerberos: kdc.Service, StrictChannelBinding: len(strict) > 0 && strict[0]}, Wrap: wrap, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sim.Close() })
		return sim, file
	}
	pywinrm := func(t *testing.T, sim *dpsim.Sim) ([]byte, string, error) {
		out := filepath.Join(t.TempDir(), "stdout")
		cmd := exec.Command(python, script, "https://localhost:"+strconv.Itoa(sim.Addr.Port)+"/wsman", command, stdinFile, out)
		cmd.Env = env
		log, err := cmd.CombinedOutput()
		b, _ := os.ReadFile(out)
		return b, string(log), err
	}

	t.Run("reads the file", func(t *testing.T) {
		sim, file := start(t, nil)
		stdout, log, err := pywinrm(t, sim)
		if err != nil {
			t.Fatalf("pywinrm: %v\n%s", err, log)
		}
		head, payload, ok := bytes.Cut(stdout, []byte{'\n'})
		var res map[string]any
		if !ok || json.Unmarshal(head, &res) != nil {
			t.Fatalf("stdout is not the loader's answer: %q", stdout[:min(len(stdout), 200)])
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(payload, want) {
			t.Errorf("pywinrm read %d bytes, the file has %d", len(payload), len(want))
		}
		if st := sim.Stats(); st.Handshakes == 0 || st.AuthFailures > 1 {
			t.Errorf("want Kerberos logins and no refused one: %+v", st)
		}
	})
	t.Run("a Strict host refuses a login without channel bindings", func(t *testing.T) {
		sim, _ := start(t, nil, true)
		_, log, err := pywinrm(t, sim)
		if err == nil || !strings.Contains(log, "InvalidCredentialsError") {
			t.Fatalf("a CbtHardeningLevel=Strict host accepted a login without channel bindings: %v\n%s", err, log)
		}
		if st := sim.Stats(); st.Create != 0 || st.AuthFailures == 0 {
			t.Errorf("want the login refused before any message: %+v", st)
		}
	})
	t.Run("refuses a host without an AP-REP", func(t *testing.T) {
		strip := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(stripFinal{w}, r)
			})
		}
		sim, _ := start(t, strip)
		_, log, err := pywinrm(t, sim)
		if err == nil || !strings.Contains(log, "MutualAuthenticationError") {
			t.Fatalf("pywinrm accepted a host that did not authenticate: %v\n%s", err, log)
		}
		// pywinrm logs in preemptively, on its first message (Create): it
		// checks the AP-REP of that answer and sends nothing more.
		if st := sim.Stats(); st.Create > 1 || st.Command != 0 || st.Send != 0 {
			t.Errorf("pywinrm went on with a host that did not authenticate: %+v", st)
		}
	})
}

// stripFinal drops the WWW-Authenticate of 200 answers: a host that does
// not prove its identity.
type stripFinal struct{ http.ResponseWriter }

func (s stripFinal) WriteHeader(code int) {
	if code == http.StatusOK {
		s.Header().Del("WWW-Authenticate")
	}
	s.ResponseWriter.WriteHeader(code)
}
