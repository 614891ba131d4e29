package acctest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// The account of every simulated DP.
const (
	SimUser     = "tf-acc"
	SimPassword = "acc-Passw0rd!"
)

// AuthSimOptions configure a simulated DP whose WinRM authentication is set
// up like a real host's winrm/config/service.
type AuthSimOptions struct {
	TLS    bool
	Auth   dpsim.Auth
	Faults *dpsim.Faults
	Wrap   func(http.Handler) http.Handler
	Logf   func(format string, args ...any)
}

// AuthSim is a simulated DP reached with the provider attributes in
// Provider (HCL expressions by name) besides host and port.
type AuthSim struct {
	*SimTarget
	Provider map[string]string
}

// NewAuthSim starts a simulator on a copy of fixture with the
// authentication of o. Provider starts out empty: the test says how the
// provider authenticates.
func NewAuthSim(t testing.TB, fixture string, o AuthSimOptions) *AuthSim {
	t.Helper()
	file := testfixtures.Copy(t, fixture, t.TempDir())
	auth := o.Auth
	sim, err := dpsim.Start(dpsim.Options{
		ConfigFile: file, Listen: "127.0.0.1:0", Username: SimUser, Password: SimPassword,
		TLS: o.TLS, Auth: &auth, Faults: o.Faults, Wrap: o.Wrap, Logf: o.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return &AuthSim{SimTarget: &SimTarget{Sim: sim, file: file}, Provider: map[string]string{}}
}

// ProviderBlock renders host, port and the Provider attributes, with a
// short timeout so failures come quickly.
func (a *AuthSim) ProviderBlock() string {
	attrs := map[string]string{"host": HCLString("127.0.0.1"), "port": fmt.Sprint(a.Sim.Addr.Port), "timeout": HCLString("30s")}
	if a.Sim.CACertPEM != nil {
		attrs["https"] = "true"
		attrs["ca_cert"] = HCLHeredoc(string(a.Sim.CACertPEM))
	}
	for k, v := range a.Provider {
		attrs[k] = v
	}
	names := make([]string, 0, len(attrs))
	for k, v := range attrs {
		if v != "" { // an empty expression removes a default
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("\nprovider \"iis\" {\n")
	for _, k := range names {
		fmt.Fprintf(&b, "  %s = %s\n", k, attrs[k])
	}
	b.WriteString("}\n")
	return b.String()
}

// Credentials sets username and password (and auth) in Provider.
func (a *AuthSim) Credentials(auth string) *AuthSim {
	a.Provider["auth"] = HCLString(auth)
	a.Provider["username"] = HCLString(SimUser)
	a.Provider["password"] = HCLString(SimPassword)
	return a
}

// HCLString quotes s as an HCL string.
func HCLString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// HCLHeredoc writes multi-line text (PEM, krb5.conf) as an HCL heredoc.
func HCLHeredoc(s string) string {
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	s = strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
	return "<<-EOT\n" + s + "EOT"
}

// ReplaceFinalReply wraps a host so that the WWW-Authenticate of its 200 to
// a login says value() instead ("" drops the header): what a host that is
// not the one the ticket is for, or a machine in the middle, can answer. It
// lets a test check that the client authenticates the host (Kerberos mutual
// authentication, RFC 4120 3.2.4 and 3.2.5) before it sends anything.
func ReplaceFinalReply(value func() string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&finalRewriter{ResponseWriter: w, value: value}, r)
		})
	}
}

type finalRewriter struct {
	http.ResponseWriter
	value func() string
}

func (f *finalRewriter) WriteHeader(code int) {
	if code == http.StatusOK && f.Header().Get("WWW-Authenticate") != "" {
		if v := f.value(); v == "" {
			f.Header().Del("WWW-Authenticate")
		} else {
			f.Header().Set("WWW-Authenticate", v)
		}
	}
	f.ResponseWriter.WriteHeader(code)
}

// ForgedKerberosReply is the "Negotiate ..." answer of a host that reports
// success with an AP-REP made without the service's key (a random one), for
// ReplaceFinalReply: the client must find that it does not decrypt with
// the ticket's session key (RFC 4120 3.2.5).
func ForgedKerberosReply(t testing.TB) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	k := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: key}
	rep, err := gsskrb.MarshalAPRep(k, time.Now(), 0, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	return negotiateReply(t, spnego.NegStateAcceptCompleted, gsskrb.MarshalMechToken(gsskrb.TokAPRep, rep))
}

// RejectKerberosReply is the "Negotiate ..." answer of a host that reports
// success with a SPNEGO reject, for ReplaceFinalReply.
func RejectKerberosReply(t testing.TB) string {
	t.Helper()
	return negotiateReply(t, spnego.NegStateReject, nil)
}

func negotiateReply(t testing.TB, state spnego.NegState, mechToken []byte) string {
	t.Helper()
	tok, err := gsskrb.RespToken(state, gsskrb.OIDKRB5, mechToken)
	if err != nil {
		t.Fatal(err)
	}
	return "Negotiate " + base64.StdEncoding.EncodeToString(tok)
}
