package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// openSSLLegacy activates OpenSSL 3's legacy provider beside the default
// one for the Python process: the NT hash is MD4, which only the legacy
// provider still has (Debian 12's python3-ntlm-auth calls hashlib md4).
const openSSLLegacy = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`

// pywinrmRunner runs the provider's commands through stock pywinrm (Debian
// python3-winrm), an independent WinRM client: the command line is
// pscmd's, sent as rsp:Command "powershell.exe" with the rest in
// rsp:Arguments, as pywinrm's callers do.
type pywinrmRunner struct {
	python   string
	url      string
	user     string
	password string
	env      []string
}

func (r pywinrmRunner) RunPowerShell(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
	line, err := pscmd.Encode(script)
	if err != nil {
		return remotefile.Output{}, err
	}
	command, rest, _ := strings.Cut(line, " ")
	req, _ := json.Marshal(map[string]any{
		"url": r.url, "username": r.user, "password": r.password,
		"command": command, "arguments": strings.Fields(rest), "stdin": base64.StdEncoding.EncodeToString(stdin),
	})
	cmd := exec.CommandContext(ctx, r.python, filepath.Join("testdata", "pywinrm_run.py"))
	cmd.Stdin = bytes.NewReader(req)
	cmd.Env = r.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return remotefile.Output{}, fmt.Errorf("pywinrm: %v\n%s", err, stderr.String())
	}
	var res struct {
		Stdout, Stderr string
		ExitCode       int `json:"exit_code"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return remotefile.Output{}, fmt.Errorf("pywinrm printed %q: %v", out, err)
	}
	o := remotefile.Output{ExitCode: res.ExitCode}
	o.Stdout, _ = base64.StdEncoding.DecodeString(res.Stdout)
	o.Stderr, _ = base64.StdEncoding.DecodeString(res.Stderr)
	return o, nil
}

// debianPython is the interpreter Debian's python3-winrm is installed
// for; a python3 earlier on PATH (pyenv, a virtualenv) does not see it.
const debianPython = "/usr/bin/python3"

// havePywinrm returns the Python that imports Debian's python3-winrm. Its
// absence skips the test only outside CI: `make test` installs it
// (tools/install-debs.sh), so under CI a missing package is a failure.
func havePywinrm(t *testing.T) string {
	t.Helper()
	err := exec.Command(debianPython, "-c", "import winrm, requests_ntlm").Run()
	if err == nil {
		return debianPython
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("python3-winrm is not importable (%v): make test installs it with tools/install-debs.sh python3-winrm", err)
	}
	t.Skipf("python3-winrm is not importable (%v): apt-get install python3-winrm python3-requests-ntlm, or run make test", err)
	return ""
}

// TestPywinrmReadsTheFile: stock pywinrm with requests-ntlm, whose NTLM
// NEGOTIATE offers OEM strings only, authenticates to a simulated DP set
// up as Windows ships (Negotiate, AllowUnencrypted=false), seals every
// message, runs the provider's loader with its command line split into
// rsp:Command and rsp:Arguments and its input in pipe mode, reads
// applicationHost.config byte for byte, and leaves no shell open.
func TestPywinrmReadsTheFile(t *testing.T) {
	python := havePywinrm(t)
	dir := t.TempDir()
	file := testfixtures.Copy(t, testfixtures.ASPNET, dir)
	auth, err := parseAuth("", "", false)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: `CORP\svc-iis`, Password: "py-Passw0rd", Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sslConf := filepath.Join(dir, "openssl.cnf")
	if err := os.WriteFile(sslConf, []byte(openSSLLegacy), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		// REQUESTS_CA_BUNDLE would override pywinrm's certificate setting.
		if !strings.HasPrefix(kv, "REQUESTS_CA_BUNDLE=") && !strings.HasPrefix(kv, "OPENSSL_CONF=") {
			env = append(env, kv)
		}
	}
	env = append(env, "OPENSSL_CONF="+sslConf)

	runner := pywinrmRunner{python: python, url: sim.URL, user: `CORP\svc-iis`, password: "py-Passw0rd", env: env}
	files := &remotefile.Client{Runner: runner, Host: "dpsim"}
	f, err := files.Read(t.Context(), `%windir%\System32\inetsrv\config\applicationHost.config`)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(file)
	if !bytes.Equal(f.Content, want) {
		t.Fatalf("pywinrm read %d bytes, want the %d served", len(f.Content), len(want))
	}
	st := sim.Stats()
	if st.Sealed == 0 || st.Unsealed != 0 || st.RefusedUnencrypted != 0 {
		t.Errorf("%d sealed, %d plain, %d refused messages: want pywinrm's all sealed", st.Sealed, st.Unsealed, st.RefusedUnencrypted)
	}
	if st.ShellsOpen != 0 || st.Signal != 1 || st.Delete != 1 {
		t.Errorf("shells open %d, signals %d, deletes %d: want pywinrm's shell signalled and deleted", st.ShellsOpen, st.Signal, st.Delete)
	}
}
