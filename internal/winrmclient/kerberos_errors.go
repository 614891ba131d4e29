package winrmclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
)

// The Kerberos failures and their fixes; README "Kerberos failures" lists
// the same table for users.

// kerberos explains a failure to get a service ticket from the KDC.
func (f errorFactory) kerberos(op, spn string, err error) *Error {
	msg := err.Error()
	hint := "Check realm, krb5_conf (the realm's KDCs must be reachable on port 88) and the credentials"
	switch {
	case strings.Contains(msg, "KDC_ERR_PREAUTH_FAILED") || strings.Contains(msg, "KRB_AP_ERR_BAD_INTEGRITY") ||
		strings.Contains(msg, "client password/keytab incorrect"):
		hint = fmt.Sprintf("The KDC rejected the password (or keytab) of \"%s\": check them", f.username)
	case strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		hint = fmt.Sprintf("The KDC does not know the user \"%s\": check username and realm", f.username)
	case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		hint = fmt.Sprintf("The KDC does not know the service principal %q: connect with the host's registered DNS name (the default spn is HTTP/ and the lower-cased host), "+
			"or set spn to the host's HTTP service principal (setspn -L <host> lists them)", spn)
	case strings.Contains(msg, "KRB_AP_ERR_SKEW"):
		hint = "The clocks of this machine and the KDC differ by more than 5 minutes: synchronise them (NTP, w32tm /resync on Windows)"
	case strings.Contains(msg, "KDC_ERR_WRONG_REALM") || strings.Contains(msg, "no KDCs defined"):
		hint = "The realm is not the user's, or krb5_conf has no [realms] entry for it: set realm to the Active Directory domain in upper case (e.g. CORP.EXAMPLE) " +
			"and name its KDCs in krb5_conf (kdc = dc01.corp.example:88 under [realms])"
	case strings.Contains(msg, "networking") || strings.Contains(msg, "connect") || strings.Contains(msg, "dial"):
		hint = "No KDC of the realm answered: check krb5_conf (kdc = host:88 under [realms]) and that port 88 of the domain controllers is reachable from here"
	}
	return f.new(KindAuth, op, "cannot get a Kerberos ticket for "+spn, hint, scrub(err))
}

// kerberosRefused explains the host's 401 to a login whose ticket the KDC
// issued: the KDC, realm and password are fine, the host is not. A
// KRB-ERROR in the answer (RFC 4121 4.1: the acceptor may return one) names
// the cause; without one, over HTTPS the likely cause is channel binding.
func (f errorFactory) kerberosRefused(op, spn string, h http.Header, sentBindings bool) *Error {
	detail := fmt.Sprintf("the host refused the Kerberos login with a ticket for %s (HTTP 401)", spn)
	if code, ok := krbErrorIn(h); ok {
		detail += "; it answered " + errorcode.Lookup(code)
		var hint string
		switch code {
		case errorcode.KRB_AP_ERR_SKEW:
			hint = "The clocks of this machine and the host differ by more than 5 minutes: synchronise them (NTP; w32tm /resync on the host)"
		case errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BAD_INTEGRITY, errorcode.KRB_AP_ERR_BADKEYVER, errorcode.KRB_AP_ERR_NOKEY, errorcode.KRB_AP_ERR_NOT_US:
			hint = fmt.Sprintf("The host cannot decrypt the ticket: %s is registered to another account than the host's (setspn -Q %s finds it), "+
				"or the host's key changed since (a stale keytab): set spn to the host's own principal, or fix the registration", spn, spn)
		case errorcode.KRB_AP_ERR_TKT_EXPIRED:
			hint = "The ticket expired: retry; if it persists, check the clocks"
		default:
			hint = "Check spn, the host's service principal registration and the clocks"
		}
		return f.new(KindAuth, op, detail, hint, nil)
	}
	if sentBindings {
		return f.new(KindAuth, op, detail+" without saying why",
			"Over HTTPS the likely cause is the missing channel binding: a host with CbtHardeningLevel=Strict accepts only a login bound to its own TLS certificate, "+
				"and this client bound it to the certificate it was shown, so something between them (a TLS-inspecting proxy or a load balancer that ends TLS) "+
				"presents another one: connect to the host directly, or set winrm set winrm/config/service/auth @{CbtHardeningLevel=\"Relaxed\"} on the host", nil)
	}
	return f.new(KindAuth, op, detail+" without saying why",
		fmt.Sprintf("The host could not use the ticket: check that %s is registered to the host's own account (setspn -L <host>), "+
			"that the host's key matches it (a keytab or a recently reset computer account), and that the clocks agree within 5 minutes", spn), nil)
}

// krbErrorIn finds a KRB-ERROR in the 401's Negotiate token (raw or in a
// SPNEGO NegTokenResp).
func krbErrorIn(h http.Header) (int32, bool) {
	tok, ok := negotiateToken(h)
	if !ok || len(tok) == 0 {
		return 0, false
	}
	resp, _, err := gsskrb.ParseResp(tok)
	if err != nil || len(resp.ResponseToken) == 0 {
		return 0, false
	}
	id, msg, err := gsskrb.ParseMechToken(resp.ResponseToken)
	if err != nil || id != gsskrb.TokKRBError {
		return 0, false
	}
	var ke messages.KRBError
	if ke.Unmarshal(msg) != nil {
		return 0, false
	}
	return ke.ErrorCode, true
}

// serverNotAuthenticated refuses a host that answered the login with
// success but did not prove its identity: nothing is sent to it.
func (f errorFactory) serverNotAuthenticated(op, spn string, err error) *Error {
	hint := fmt.Sprintf("Nothing was sent to it. A Windows host always proves it holds the key of %s: something else answers at this address "+
		"(a spoofed name, a proxy, or not a WinRM service), or the reply was altered on the way; check the host name, DNS and the network path", spn)
	if errors.Is(err, gsskrb.ErrAPRepForged) {
		hint = fmt.Sprintf("Nothing was sent to it. The reply was not made with the key of %s: something other than that host answered (a spoofed name or a machine in the middle): "+
			"check the host name, DNS and the network path", spn)
	}
	return f.new(KindAuth, op, "the host was not authenticated (Kerberos mutual authentication failed): "+err.Error(), hint, nil)
}
