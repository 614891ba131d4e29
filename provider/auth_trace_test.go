package provider_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

// lockedBuffer is the simulator's NTLM key log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccAuth_traceLogHasNoSecrets runs a whole lifecycle over NTLM with
// encryption with TF_LOG=TRACE (the Terraform CLI's log and the provider's,
// which runs in this process, into one file), reading ahead too, and
// searches the log for the password, its NT hash and every NTLM session key
// the host derived.
func TestAccAuth_traceLogHasNoSecrets(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the simulator's session keys")
	}
	logFile := logTo(t, "TRACE")

	keys := &lockedBuffer{}
	tg := acctest.NewAuthSim(t, testfixtures.Base, acctest.AuthSimOptions{Auth: dpsim.Auth{Negotiate: true, NTLMKeyLog: keys}})
	tg.Credentials("ntlm")
	// The password comes from the environment, as it would in a pipeline:
	// the test harness itself logs the configuration files it writes.
	tg.Provider["password"] = ""
	t.Setenv("IIS_PASSWORD", acctest.SimPassword)
	// Reading ahead logs its failures from the background: one host that
	// answers, one where nothing listens.
	t.Setenv("IIS_PREFETCH_HOSTS", "127.0.0.1, 127.0.0.1:1")
	traceLifecycle(t, tg)

	// The log must hold the provider's own TRACE, DEBUG and INFO output
	// (the progress lines and each WinRM exchange among them), or the
	// search below proves nothing. The read ahead of the host where nothing
	// listens ends after its retries, in the background: wait for it.
	var log []byte
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range []string{"iis provider configured", "ApplyResourceChange", "reading applicationHost.config", "read applicationHost.config",
		"writing applicationHost.config", "wrote applicationHost.config", "tf-backup-", "WinRM exchange", "action=Command",
		"Prefetch finished", "Prefetch of a host failed", "read of applicationHost.config failed"} {
		for {
			var err error
			if log, err = os.ReadFile(logFile); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(log, []byte(w)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the TRACE log (%d bytes) lacks %q: the provider's log was not captured", len(log), w)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	nt := ntlm.NTOWFv1(acctest.SimPassword)
	secrets := map[string]string{
		"password":                acctest.SimPassword,
		"password in base64":      base64.StdEncoding.EncodeToString([]byte(acctest.SimPassword)),
		"Basic credentials":       base64.StdEncoding.EncodeToString([]byte(acctest.SimUser + ":" + acctest.SimPassword)),
		"NT hash":                 hex.EncodeToString(nt[:]),
		"NT hash (upper case)":    strings.ToUpper(hex.EncodeToString(nt[:])),
		"NT hash (base64)":        base64.StdEncoding.EncodeToString(nt[:]),
		"NTOWFv2 (for the realm)": hex.EncodeToString(ntlm.NTOWFv2(nt, acctest.SimUser, "")),
	}
	sessions := 0
	sc := bufio.NewScanner(strings.NewReader(keys.String()))
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // NTLM <server challenge> <exported session key>
		if len(f) != 3 {
			continue
		}
		sessions++
		key, _ := hex.DecodeString(f[2])
		secrets["session key "+f[2][:6]+"…"] = f[2]
		secrets["session key (upper case) "+f[2][:6]+"…"] = strings.ToUpper(f[2])
		secrets["session key (base64) "+f[2][:6]+"…"] = base64.StdEncoding.EncodeToString(key)
	}
	if sessions == 0 {
		t.Fatal("the host logged no NTLM session: the run did not use NTLM")
	}
	logLacks(t, log, secrets)
	t.Logf("searched %d bytes of TRACE log for the password, its hashes and %d session keys", len(log), sessions)
}

// traceLifecycle creates, updates and destroys an extension entry on tg:
// a whole lifecycle for a TRACE log to be searched afterwards.
func traceLifecycle(t *testing.T, tg *acctest.AuthSim) {
	t.Helper()
	orig := tg.Read(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{Config: acctest.ExtensionConfig(tg, ".tfacc", true, "")},
			{Config: acctest.ExtensionConfig(tg, ".tfacc", false, "")},
		},
	})
}

// logLacks fails the test for each of secrets (description: text) that
// the log contains.
func logLacks(t *testing.T, log []byte, secrets map[string]string) {
	t.Helper()
	for what, s := range secrets {
		if bytes.Contains(log, []byte(s)) {
			t.Errorf("the TRACE log contains the %s", what)
		}
	}
}
