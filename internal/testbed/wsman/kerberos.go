package wsman

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
	"github.com/dp-tools/terraform-provider-iis/internal/encrypted"
	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

// KerberosScheme accepts a Kerberos AP-REQ for a service principal of its
// keytab, in "Authorization: Negotiate" (SPNEGO NegTokenInit, as Windows
// clients send, or a raw Kerberos token, as pywinrm and MIT GSS-API with
// the krb5 mechanism send) or "Authorization: Kerberos", as a Windows host
// with Auth/Kerberos enabled does:
//   - mutual authentication asked (the GSS mutual flag or the AP option):
//     the 200 carries the AP-REP, in a SPNEGO accept-completed when the
//     client spoke SPNEGO and raw when it sent a raw token, with an
//     acceptor subkey (whose key seals the messages: MS-KILE 3.1.1.2) and
//     sequence number;
//   - channel bindings: over TLS a binding for another certificate is
//     refused; with Strict (CbtHardeningLevel=Strict) a login without one
//     is refused too, with the bare 401 http.sys gives;
//   - a ticket it cannot use is answered 401 with a KRB-ERROR in the
//     Negotiate token (RFC 4121 4.1 lets the acceptor return one), so the
//     client can tell a clock skew from a wrong key;
//   - the context seals the connection's messages over HTTP (RFC 4121 Wrap
//     tokens in MS-WSMV framing), with the 16 filler octets and rotation
//     Windows uses (MS-KILE 3.4.5.4.1), and reads the client's tokens
//     whatever their EC.
type KerberosScheme struct {
	keytab *keytab.Keytab
	cert   *x509.Certificate // the listener's, for channel bindings; nil: not checked
	strict bool
}

// NewKerberosScheme returns the scheme for the service keys in kt (e.g.
// HTTP/dp01.corp.example@CORP.EXAMPLE, exported with kadmin ktadd).
func NewKerberosScheme(kt *keytab.Keytab) *KerberosScheme { return &KerberosScheme{keytab: kt} }

// CheckChannelBindings makes the scheme check, over TLS, that the channel
// bindings a client sends name cert (the listener's); strict also refuses
// clients that send none (CbtHardeningLevel "Strict" rather than "Relaxed").
func (k *KerberosScheme) CheckChannelBindings(cert *x509.Certificate, strict bool) {
	k.cert, k.strict = cert, strict
}

func (k *KerberosScheme) Name() string                 { return "Kerberos" }
func (k *KerberosScheme) Offer(*http.Request) []string { return []string{"Negotiate"} }

func (k *KerberosScheme) Authenticate(r *http.Request, _ *Conn) Outcome {
	prefix := "Negotiate"
	tok, ok := authorizationToken(r, prefix)
	if !ok {
		prefix = "Kerberos"
		if tok, ok = authorizationToken(r, prefix); !ok {
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
	mechToken, wrapped, mech, err := gsskrb.ParseInit(raw)
	if err != nil {
		return Outcome{Mine: true, Err: fmt.Errorf("%v (SPNEGO with NTLM is not supported)", err)}
	}
	id, msg, err := gsskrb.ParseMechToken(mechToken)
	var apreq messages.APReq
	if err == nil && id != gsskrb.TokAPReq {
		err = fmt.Errorf("token ID %x is not an AP-REQ", id)
	}
	if err == nil {
		err = apreq.Unmarshal(msg)
	}
	if err != nil {
		return Outcome{Mine: true, Err: fmt.Errorf("the Negotiate token carries no Kerberos AP-REQ: %v", err)}
	}
	// The PAC (Windows group memberships) is not needed here, and an MIT
	// KDC's has no KerbValidationInfo, which gokrb5 would insist on.
	ok, creds, err := service.VerifyAPREQ(&apreq, service.NewSettings(k.keytab, service.DecodePAC(false)))
	if err != nil || !ok {
		return k.refuseTicket(prefix, wrapped, mech, &apreq, err)
	}
	ck, err := gsskrb.ParseChecksum(apreq.Authenticator.Cksum)
	if err != nil {
		return Outcome{Mine: true, Err: err}
	}
	if err := k.checkBindings(r, ck); err != nil {
		return Outcome{Mine: true, Err: err}
	}
	o := Outcome{Mine: true, User: shortUser(creds.UserName()), Persist: true}
	mutual := ck.Flags&gsskrb.FlagMutual != 0 || types.IsFlagSet(&apreq.APOptions, flags.APOptionMutualRequired)
	sessionKey := apreq.Ticket.DecryptedEncPart.Key
	var ctx *gsskrb.Context
	if mutual {
		subkey, seq, err := acceptorKey(sessionKey)
		if err != nil {
			return Outcome{Mine: true, Err: err}
		}
		rep, err := gsskrb.MarshalAPRep(sessionKey, apreq.Authenticator.CTime, apreq.Authenticator.Cusec, subkey, int64(seq))
		if err != nil {
			return Outcome{Mine: true, Err: err}
		}
		o.Final, err = finalToken(prefix, wrapped, mech, gsskrb.MarshalMechToken(gsskrb.TokAPRep, rep))
		if err != nil {
			return Outcome{Mine: true, Err: err}
		}
		ctx, err = gsskrb.NewContext(subkey, false, true, seq, uint64(apreq.Authenticator.SeqNumber), gsskrb.WindowsFiller())
		if err != nil {
			ctx = nil // an RC4 ticket: authenticated, but no sealing
		}
	} else {
		if wrapped {
			o.Final, _ = finalToken(prefix, true, mech, nil)
		}
		key := apreq.Authenticator.SubKey
		if len(key.KeyValue) == 0 {
			key = sessionKey
		}
		// Without an AP-REP both directions count from the initiator's
		// number (RFC 4121 4.2.6 leaves it to the mechanism; MIT does so).
		seq := uint64(apreq.Authenticator.SeqNumber)
		if ctx, err = gsskrb.NewContext(key, false, false, seq, seq, gsskrb.WindowsFiller()); err != nil {
			ctx = nil
		}
	}
	if ctx != nil {
		o.Sealer = kerberosSealer{Context: ctx, protocol: protocolOf(prefix)}
	}
	return o
}

// checkBindings applies the listener's channel-binding policy over TLS.
// WinRM's CbtHardeningLevel sets http.sys' hardening level: at Relaxed
// (Medium) a client that sends bindings is held to them and one that sends
// none is still served; at Strict only clients with bindings are served
// (HTTP_AUTHENTICATION_HARDENING_LEVELS,
// https://learn.microsoft.com/en-us/windows/win32/api/http/ne-http-http_authentication_hardening_levels).
// Over plain HTTP there is no channel to bind, so none is checked.
func (k *KerberosScheme) checkBindings(r *http.Request, ck gsskrb.Checksum) error {
	if r.TLS == nil || k.cert == nil {
		return nil
	}
	if !ck.HasBindings() {
		if k.strict {
			return errors.New("the login carries no channel bindings (CbtHardeningLevel=Strict)")
		}
		return nil
	}
	if ck.Bindings != gsskrb.BindingsHash(chanbind.ApplicationData(k.cert)) {
		return errors.New("the login's channel bindings name another TLS certificate than this listener's")
	}
	return nil
}

// refuseTicket answers a ticket the service cannot use: 401 with the
// KRB-ERROR in the Negotiate token (SPNEGO reject when the client spoke
// SPNEGO).
func (k *KerberosScheme) refuseTicket(prefix string, wrapped bool, mech asn1.ObjectIdentifier, apreq *messages.APReq, err error) Outcome {
	code := errorcode.KRB_AP_ERR_MODIFIED // a ticket that does not decrypt with our key
	var ke messages.KRBError
	if errors.As(err, &ke) {
		code = ke.ErrorCode
	}
	kerr := messages.NewKRBError(apreq.Ticket.SName, apreq.Ticket.Realm, code, "")
	b, merr := kerr.Marshal()
	if merr != nil {
		return Outcome{Mine: true, Err: fmt.Errorf("the Kerberos AP-REQ was refused: %v", err)}
	}
	tok := gsskrb.MarshalMechToken(gsskrb.TokKRBError, b)
	if wrapped {
		if tok, merr = gsskrb.RespToken(spnego.NegStateReject, mech, tok); merr != nil {
			return Outcome{Mine: true, Err: fmt.Errorf("the Kerberos AP-REQ was refused: %v", err)}
		}
	}
	return Outcome{Mine: true, Err: fmt.Errorf("the Kerberos AP-REQ was refused (%s): %v", errorcode.Lookup(code), err),
		Continue: prefix + " " + base64.StdEncoding.EncodeToString(tok)}
}

// finalToken is the WWW-Authenticate value of the 200: the AP-REP (if any)
// in a SPNEGO accept-completed naming the mechanism the client named, or
// raw when the client sent a raw token.
func finalToken(prefix string, wrapped bool, mech asn1.ObjectIdentifier, aprep []byte) (string, error) {
	tok := aprep
	if wrapped {
		var err error
		if tok, err = gsskrb.RespToken(spnego.NegStateAcceptCompleted, mech, aprep); err != nil {
			return "", err
		}
	}
	return prefix + " " + base64.StdEncoding.EncodeToString(tok), nil
}

// acceptorKey draws the acceptor's subkey (the session key's type) and
// initial sequence number.
func acceptorKey(sessionKey types.EncryptionKey) (types.EncryptionKey, uint64, error) {
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return types.EncryptionKey{}, 0, err
	}
	b := make([]byte, et.GetKeyByteSize()+4)
	if _, err := rand.Read(b); err != nil {
		return types.EncryptionKey{}, 0, err
	}
	seq := uint64(binary.BigEndian.Uint32(b[len(b)-4:]) & 0x3fffffff)
	return types.EncryptionKey{KeyType: sessionKey.KeyType, KeyValue: b[:len(b)-4]}, seq, nil
}

// kerberosSealer is a connection's Kerberos context labelled with the
// protocol of the HTTP scheme that set it up (MS-WSMV 2.2.9.1).
type kerberosSealer struct {
	*gsskrb.Context
	protocol string
}

func (s kerberosSealer) Protocol() string { return s.protocol }

func protocolOf(prefix string) string {
	if strings.EqualFold(prefix, "Kerberos") {
		return encrypted.ProtocolKerberos
	}
	return encrypted.Protocol
}

// shortUser drops the realm of a principal name.
func shortUser(user string) string {
	if i := strings.IndexByte(user, '@'); i >= 0 {
		return user[:i]
	}
	return user
}
