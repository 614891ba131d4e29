package winrmclient

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
)

func TestDefaultSPN(t *testing.T) {
	for _, tc := range []struct{ host, want string }{
		{"dp01.corp.example", "HTTP/dp01.corp.example"},
		{"LocalHost", "HTTP/localhost"},
		{"DP01.Corp.Example.", "HTTP/dp01.corp.example"},
		{"dp01.corp.example:5985", "HTTP/dp01.corp.example"},
		{"[fe80::1]:5986", "HTTP/fe80::1"},
		{" DP01 ", "HTTP/dp01"},
	} {
		if got := defaultSPN(tc.host); got != tc.want {
			t.Errorf("defaultSPN(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
	// spn still overrides the default.
	for _, tc := range []struct{ host, spn, want string }{
		{"LocalHost", "", "HTTP/localhost"},
		{"LocalHost", "HTTP/DP01.corp.example@CORP.EXAMPLE", "HTTP/DP01.corp.example@CORP.EXAMPLE"},
	} {
		k, err := newKerberosAuth(Config{Host: tc.host, Username: "u@EXAMPLE.TEST", Password: "p", SPN: tc.spn,
			Krb5Conf: "[libdefaults]\n default_realm = EXAMPLE.TEST\n"})
		if err != nil {
			t.Fatal(err)
		}
		if k.spn != tc.want {
			t.Errorf("host %q spn %q: SPN %q, want %q", tc.host, tc.spn, k.spn, tc.want)
		}
	}
}

func randomKey(t *testing.T) types.EncryptionKey {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: b}
}

// TestKerberosLoginVerifiesReply: the host's final token is accepted only
// when it is an AP-REP made with this login's session key for this login's
// authenticator; everything else names why.
func TestKerberosLoginVerifiesReply(t *testing.T) {
	sessionKey, otherKey, acceptorSubkey := randomKey(t), randomKey(t), randomKey(t)
	auth, err := types.NewAuthenticator("EXAMPLE.TEST", types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "u"))
	if err != nil {
		t.Fatal(err)
	}
	l := &krbLogin{sessionKey: sessionKey, auth: auth}
	aprep := func(key types.EncryptionKey, ctime time.Time, cusec int) []byte {
		b, err := gsskrb.MarshalAPRep(key, ctime, cusec, acceptorSubkey, 4242)
		if err != nil {
			t.Fatal(err)
		}
		return gsskrb.MarshalMechToken(gsskrb.TokAPRep, b)
	}
	spnegoResp := func(state spnego.NegState, tok []byte) []byte {
		b, err := gsskrb.RespToken(state, gsskrb.OIDKRB5, tok)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	krbErr := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "HTTP/dp01"), "EXAMPLE.TEST", errorcode.KRB_AP_ERR_MODIFIED, "")
	keb, err := krbErr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 120)
	_, _ = rand.Read(random)
	// Not 0x60, the tag of a GSS-API token, whose bytes the AP-REP check
	// would then refuse with its own words (0xa1, SPNEGO's, is covered).
	random[0] = 0xa1 + random[0]%2
	good := aprep(sessionKey, auth.CTime, auth.Cusec)
	for _, tc := range []struct {
		name   string
		tok    []byte
		want   string // phrase of the error; "" = accepted
		forged bool
	}{
		{"SPNEGO accept-completed with the AP-REP", spnegoResp(spnego.NegStateAcceptCompleted, good), "", false},
		{"raw AP-REP", good, "", false},
		{"no token", nil, "carries no AP-REP", false},
		{"accept-completed without AP-REP", spnegoResp(spnego.NegStateAcceptCompleted, nil), "carries no AP-REP", false},
		{"SPNEGO reject", spnegoResp(spnego.NegStateReject, nil), "SPNEGO reject", false},
		{"random bytes", random, "neither a SPNEGO NegTokenResp nor a Kerberos context token", false},
		{"AP-REP made with another key", spnegoResp(spnego.NegStateAcceptCompleted, aprep(otherKey, auth.CTime, auth.Cusec)), "does not decrypt with the ticket's session key", true},
		{"AP-REP for another authenticator", spnegoResp(spnego.NegStateAcceptCompleted, aprep(sessionKey, auth.CTime.Add(-time.Minute), auth.Cusec)), "replayed", true},
		{"KRB-ERROR", spnegoResp(spnego.NegStateAcceptCompleted, gsskrb.MarshalMechToken(gsskrb.TokKRBError, keb)), "KRB_AP_ERR_MODIFIED", false},
		{"accept-incomplete", spnegoResp(spnego.NegStateAcceptIncomplete, good), "not accept-completed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := l.complete(tc.tok)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if rep.SequenceNumber != 4242 || string(rep.Subkey.KeyValue) != string(acceptorSubkey.KeyValue) {
					t.Errorf("AP-REP read as seq %d, subkey %x", rep.SequenceNumber, rep.Subkey.KeyValue)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if errors.Is(err, gsskrb.ErrAPRepForged) != tc.forged {
				t.Errorf("errors.Is(ErrAPRepForged) = %t, want %t", !tc.forged, tc.forged)
			}
			e := errorFactory{host: "dp01.corp.example", port: 5985, auth: AuthKerberos}.serverNotAuthenticated("authenticate", "HTTP/dp01.corp.example", err)
			for _, want := range []string{"dp01.corp.example:5985", "the host was not authenticated", "Nothing was sent to it"} {
				if !strings.Contains(e.Error(), want) {
					t.Errorf("diagnostic lacks %q: %v", want, e)
				}
			}
		})
	}
}

// TestKerberosErrorHints: the failures that cannot be staged against the
// test KDC (a clock skew needs a clock that is off) are read from the texts
// gokrb5 and a host produce.
func TestKerberosErrorHints(t *testing.T) {
	f := errorFactory{host: "dp01.corp.example", port: 5985, auth: AuthKerberos, username: "svc"}
	skew := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "HTTP/dp01"), "CORP.EXAMPLE", errorcode.KRB_AP_ERR_SKEW, "")
	skewBytes, err := skew.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	skewTok, err := gsskrb.RespToken(spnego.NegStateReject, gsskrb.OIDKRB5, gsskrb.MarshalMechToken(gsskrb.TokKRBError, skewBytes))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(skewTok))
	for _, tc := range []struct {
		name string
		err  *Error
		want []string
	}{
		{"KDC clock skew", f.kerberos("create shell", "HTTP/dp01.corp.example",
			errors.New("[Root cause: KDC_Error] KDC_Error: AS Exchange Error: kerberos error response from KDC: KRB Error: (37) KRB_AP_ERR_SKEW Clock skew too great")),
			[]string{"dp01.corp.example:5985", "cannot get a Kerberos ticket", "differ by more than 5 minutes", "w32tm /resync"}},
		{"host clock skew", f.kerberosRefused("create shell", "HTTP/dp01.corp.example", h, false),
			[]string{"dp01.corp.example:5985", "KRB_AP_ERR_SKEW", "the clocks of this machine and the host differ"}},
		{"refused over https without a reason", f.kerberosRefused("create shell", "HTTP/dp01.corp.example", http.Header{}, true),
			[]string{"without saying why", "missing channel binding", "CbtHardeningLevel=Strict"}},
		{"refused over http without a reason", f.kerberosRefused("create shell", "HTTP/dp01.corp.example", http.Header{}, false),
			[]string{"without saying why", "registered to the host's own account", "clocks"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(strings.ToLower(tc.err.Error()), strings.ToLower(w)) {
					t.Errorf("lacks %q: %v", w, tc.err)
				}
			}
		})
	}
}
