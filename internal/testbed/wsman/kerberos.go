package wsman

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

// KerberosScheme accepts `Authorization: Negotiate` with SPNEGO (or raw
// KRB5) tokens carrying a Kerberos AP-REQ for a service principal of its
// keytab, using gokrb5's service side. The connection stays authenticated.
// Message encryption with Kerberos is not implemented (the client has
// none), so over HTTP the bodies are plain: a server with RefuseUnencrypted
// refuses them, as Windows does with AllowUnencrypted=false.
type KerberosScheme struct {
	keytab *keytab.Keytab
}

// NewKerberosScheme returns the scheme for the service keys in kt (e.g.
// HTTP/dp01.corp.example@CORP.EXAMPLE, exported with kadmin ktadd).
func NewKerberosScheme(kt *keytab.Keytab) *KerberosScheme { return &KerberosScheme{keytab: kt} }

func (k *KerberosScheme) Name() string                 { return "Kerberos" }
func (k *KerberosScheme) Offer(*http.Request) []string { return []string{"Negotiate"} }

// acceptCompleted is a NegTokenResp with negState accept-completed and the
// KRB5 mechanism, the final leg a Windows host sends.
const acceptCompleted = "Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg=="

func (k *KerberosScheme) Authenticate(r *http.Request, c *Conn) Outcome {
	tok, ok := authorizationToken(r, "Negotiate")
	if !ok {
		if tok, ok = authorizationToken(r, "Kerberos"); !ok {
			return Outcome{}
		}
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return Outcome{Mine: true, Err: errors.New("the Negotiate token is not base64")}
	}
	if ntlm.IsNTLM(raw) {
		return Outcome{}
	}
	mech := raw
	var st spnego.SPNEGOToken
	if st.Unmarshal(raw) == nil && st.Init {
		mech = st.NegTokenInit.MechTokenBytes
	}
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(mech); err != nil || !kt.IsAPReq() {
		return Outcome{Mine: true, Err: fmt.Errorf("the Negotiate token carries no Kerberos AP-REQ (SPNEGO with NTLM is not supported): %v", err)}
	}
	// The PAC (Windows group memberships) is not needed here, and an MIT
	// KDC's has no KerbValidationInfo, which gokrb5 would insist on.
	ok, creds, err := service.VerifyAPREQ(&kt.APReq, service.NewSettings(k.keytab, service.DecodePAC(false)))
	if err != nil || !ok {
		return Outcome{Mine: true, Err: fmt.Errorf("the Kerberos AP-REQ was refused: %v", err)}
	}
	user := creds.UserName()
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return Outcome{Mine: true, User: user, Persist: true, Final: acceptCompleted}
}
