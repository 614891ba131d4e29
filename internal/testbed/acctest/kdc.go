package acctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testenv"
)

// KDC is a throwaway MIT Kerberos realm on loopback: the user SimUser with
// SimPassword, and the service principal HTTP/localhost whose keytab the
// simulated DP accepts tickets with.
type KDC struct {
	Realm      string
	Krb5Conf   string // krb5.conf content naming the KDC
	SPN        string // HTTP/localhost
	Service    *keytab.Keytab
	UserKeytab string // path of a keytab with SimUser's key
}

// kdcTools are the MIT programs the KDC needs (Debian krb5-kdc and
// krb5-admin-server, installed by tools/install-kdc.sh).
var kdcTools = []string{"krb5kdc", "kdb5_util", "kadmin.local"}

func findTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// StartKDC creates the realm in a temporary directory and runs krb5kdc on a
// free loopback port until the test ends. Without the MIT tools the test is
// skipped (failed in CI), saying how to install them.
func StartKDC(t testing.TB) *KDC {
	t.Helper()
	paths := map[string]string{}
	for _, name := range kdcTools {
		p, err := findTool(name)
		if err != nil {
			testenv.Missing(t, fmt.Sprintf("Kerberos test skipped: %s is not installed (run tools/install-kdc.sh, as root with apt: it installs krb5-kdc and krb5-admin-server)", name))
		}
		paths[name] = p
	}
	dir := t.TempDir()
	port := FreePort(t)
	const realm = "IIS.TEST"
	kdcConf := fmt.Sprintf(`[kdcdefaults]
 kdc_listen = 127.0.0.1:%[1]d
 kdc_tcp_listen = 127.0.0.1:%[1]d
[realms]
 %[2]s = {
  database_name = %[3]s/principal
  key_stash_file = %[3]s/stash
  acl_file = %[3]s/kadm5.acl
  max_life = 1h
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
 }
[logging]
 kdc = FILE:%[3]s/kdc.log
`, port, realm, dir)
	krb5Conf := fmt.Sprintf(`[libdefaults]
 default_realm = %[2]s
 dns_lookup_kdc = false
 dns_lookup_realm = false
 udp_preference_limit = 1
 rdns = false
[realms]
 %[2]s = {
  kdc = 127.0.0.1:%[1]d
 }
`, port, realm)
	for name, content := range map[string]string{"kdc.conf": kdcConf, "krb5.conf": krb5Conf, "kadm5.acl": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "KRB5_CONFIG="+filepath.Join(dir, "krb5.conf"), "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"))
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(paths[name], args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	userKeytab := filepath.Join(dir, "user.keytab")
	serviceKeytab := filepath.Join(dir, "http.keytab")
	run("kdb5_util", "create", "-s", "-r", realm, "-P", "master-"+strconv.Itoa(port))
	run("kadmin.local", "-r", realm, "-q", "addprinc -pw "+SimPassword+" "+SimUser)
	run("kadmin.local", "-r", realm, "-q", "addprinc -randkey HTTP/localhost")
	run("kadmin.local", "-r", realm, "-q", "ktadd -k "+serviceKeytab+" HTTP/localhost")
	run("kadmin.local", "-r", realm, "-q", "ktadd -k "+userKeytab+" -norandkey "+SimUser)

	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	kdc := exec.CommandContext(ctx, paths["krb5kdc"], "-n", "-r", realm)
	kdc.Env, kdc.Stdout, kdc.Stderr = env, &logs, &logs
	if err := kdc.Start(); err != nil {
		cancel()
		t.Fatalf("krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = kdc.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "kdc.log"))
			t.Fatalf("krb5kdc does not listen on port %d: %v\n%s\n%s", port, err, logs.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	kt, err := keytab.Load(serviceKeytab)
	if err != nil {
		t.Fatal(err)
	}
	return &KDC{Realm: realm, Krb5Conf: krb5Conf, SPN: "HTTP/localhost", Service: kt, UserKeytab: userKeytab}
}

// FreePort finds a TCP port free on loopback now. Nothing listens on it when
// it returns, so it also serves as a closed port ("connection refused").
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listener address %v is not TCP", l.Addr())
	}
	return addr.Port
}
