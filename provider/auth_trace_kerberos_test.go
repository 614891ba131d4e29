package provider_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// krbSecrets collects, from the host's side of each Kerberos login, what
// must never reach a log: the Negotiate tokens as sent, the ticket, the
// session key, the initiator's subkey (from the authenticator) and the
// acceptor's subkey (from the AP-REP), decrypted with the service keytab.
type krbSecrets struct {
	service *keytab.Keytab
	mu      sync.Mutex
	found   map[string][]byte
	logins  int
	seen    int
}

func (k *krbSecrets) add(what string, b []byte) {
	if len(b) > 0 {
		k.found[what] = b
	}
}

func (k *krbSecrets) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		in, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Negotiate ")
		if !ok {
			return
		}
		out, _ := strings.CutPrefix(w.Header().Get("WWW-Authenticate"), "Negotiate ")
		k.mu.Lock()
		defer k.mu.Unlock()
		k.record(in, out)
	})
}

func (k *krbSecrets) record(in, out string) {
	k.seen++
	id := " of request " + strconv.Itoa(k.seen)
	n := len(k.found)
	k.add("Negotiate token"+id, []byte(in))
	raw, err := base64.StdEncoding.DecodeString(in)
	if err != nil {
		return
	}
	mech, _, _, err := gsskrb.ParseInit(raw)
	if err != nil {
		return
	}
	_, msg, err := gsskrb.ParseMechToken(mech)
	var req messages.APReq
	if err != nil || req.Unmarshal(msg) != nil || req.Ticket.DecryptEncPart(k.service, nil) != nil {
		return
	}
	k.logins++
	session := req.Ticket.DecryptedEncPart.Key
	k.add("ticket"+id, req.Ticket.EncPart.Cipher)
	k.add("session key"+id, session.KeyValue)
	if req.DecryptAuthenticator(session) == nil {
		k.add("initiator subkey"+id, req.Authenticator.SubKey.KeyValue)
	}
	if out == "" {
		return
	}
	k.add("final token"+id, []byte(out))
	if raw, err = base64.StdEncoding.DecodeString(out); err != nil {
		return
	}
	resp, _, err := gsskrb.ParseResp(raw)
	if err != nil {
		return
	}
	var rep messages.APRep
	if _, msg, err = gsskrb.ParseMechToken(resp.ResponseToken); err != nil || rep.Unmarshal(msg) != nil {
		return
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, session, keyusage.AP_REP_ENCPART)
	var part messages.EncAPRepPart
	if err == nil && part.Unmarshal(plain) == nil {
		k.add("acceptor subkey"+id, part.Subkey.KeyValue)
	}
	if len(k.found)-n < 6 {
		k.found["(a login's secrets could not all be read: the test proves less)"] = []byte{0}
	}
}

// TestAccAuth_traceLogHasNoKerberosSecrets runs a lifecycle over Kerberos
// with message encryption (HTTP) at TF_LOG=TRACE and searches the log for
// the password and, for every login, the tokens, the ticket, the session
// key and both subkeys, as text, hex and base64.
func TestAccAuth_traceLogHasNoKerberosSecrets(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs the simulated host's service keytab")
	}
	logFile := logTo(t, "TRACE")
	k := acctest.StartKDC(t)
	secrets := &krbSecrets{service: k.Service, found: map[string][]byte{}}
	tg := acctest.NewAuthSim(t, testfixtures.Base, acctest.AuthSimOptions{Auth: dpsim.Auth{Kerberos: k.Service}, Wrap: secrets.wrap})
	tg.Credentials("kerberos")
	tg.Provider["krb5_conf"] = acctest.HCLHeredoc(k.Krb5Conf)
	tg.Provider["spn"] = acctest.HCLString(k.SPN)
	tg.Provider["password"] = "" // from the environment, as in a pipeline
	t.Setenv("IIS_PASSWORD", acctest.SimPassword)
	traceLifecycle(t, tg)
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	// Without the provider's exchanges in it, the search proves nothing.
	for _, w := range []string{"iis provider configured", "WinRM exchange", "action=Command"} {
		if !bytes.Contains(log, []byte(w)) {
			t.Fatalf("the TRACE log (%d bytes) lacks %q: the provider's log was not captured", len(log), w)
		}
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.logins == 0 {
		t.Fatal("the host saw no Kerberos login: the run did not use Kerberos")
	}
	forms := map[string]string{
		"password":             acctest.SimPassword,
		"password (base64)":    base64.StdEncoding.EncodeToString([]byte(acctest.SimPassword)),
		"Basic-style password": base64.StdEncoding.EncodeToString([]byte(acctest.SimUser + ":" + acctest.SimPassword)),
	}
	for what, b := range secrets.found {
		if strings.HasPrefix(what, "(") {
			t.Error(what)
			continue
		}
		if strings.Contains(what, "token") {
			forms[what] = string(b)
			continue
		}
		forms[what+" (hex)"] = hex.EncodeToString(b)
		forms[what+" (HEX)"] = strings.ToUpper(hex.EncodeToString(b))
		forms[what+" (base64)"] = base64.StdEncoding.EncodeToString(b)
	}
	logLacks(t, log, forms)
	t.Logf("searched %d bytes of TRACE log for the password and %d secrets of %d Kerberos logins", len(log), len(secrets.found), secrets.logins)
}
