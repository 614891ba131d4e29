package winrmclient

import (
	"errors"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
)

// krbLogin is one Kerberos login in flight: the token sent, and what
// checking the host's answer needs. gokrb5's SPNEGO client cannot ask for
// mutual authentication, put channel bindings in the authenticator, or
// verify an AP-REP, so the AP-REQ is built here from gokrb5's parts.
type krbLogin struct {
	token      []byte // SPNEGO NegTokenInit for "Authorization: Negotiate"
	sessionKey types.EncryptionKey
	auth       types.Authenticator
}

// loginFlags are the context flags asked for (RFC 4121 4.1.1.1): the host
// must authenticate itself (mutual), and messages are numbered and sealed,
// as Windows' WinRM client asks.
const loginFlags = gsskrb.FlagMutual | gsskrb.FlagReplay | gsskrb.FlagSequence | gsskrb.FlagConf | gsskrb.FlagInteg

// login gets a service ticket for the SPN and builds the AP-REQ, with
// channel bindings when bindings (RFC 5929 application data) is set.
func (k *kerberosAuth) login(bindings []byte) (*krbLogin, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.kc.AffirmLogin(); err != nil {
		return nil, err
	}
	tkt, key, err := k.kc.GetServiceTicket(k.spn)
	if err != nil {
		return nil, err
	}
	auth, err := types.NewAuthenticator(k.kc.Credentials.Domain(), k.kc.Credentials.CName())
	if err != nil {
		return nil, err
	}
	ck := gsskrb.Checksum{Flags: loginFlags}
	if bindings != nil {
		ck.Bindings = gsskrb.BindingsHash(bindings)
	}
	auth.Cksum = ck.Marshal()
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	// An initiator subkey, as MIT and Windows clients send: the context's
	// key is then fresh even when the acceptor sends no subkey of its own.
	if err := auth.GenerateSeqNumberAndSubKey(key.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, err
	}
	apreq, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, err
	}
	types.SetFlag(&apreq.APOptions, flags.APOptionMutualRequired)
	b, err := apreq.Marshal()
	if err != nil {
		return nil, err
	}
	tok, err := gsskrb.InitToken(gsskrb.MarshalMechToken(gsskrb.TokAPReq, b))
	if err != nil {
		return nil, err
	}
	return &krbLogin{token: tok, sessionKey: key, auth: auth}, nil
}

// errNoAPRep: a 200 without the host's proof of identity.
var errNoAPRep = errors.New("the host's answer carries no AP-REP (no WWW-Authenticate: Negotiate token), so it did not prove it holds the service principal's key")

// complete checks the host's final token (the WWW-Authenticate: Negotiate
// of its 200): a SPNEGO accept-completed carrying an AP-REP that decrypts
// with the session key and answers this login's authenticator. A missing,
// rejecting, forged or malformed answer is an error.
func (l *krbLogin) complete(tok []byte) (messages.EncAPRepPart, error) {
	var none messages.EncAPRepPart
	if len(tok) == 0 {
		return none, errNoAPRep
	}
	resp, _, err := gsskrb.ParseResp(tok)
	if err != nil {
		return none, err
	}
	switch spnego.NegState(resp.NegState) {
	case spnego.NegStateAcceptCompleted:
	case spnego.NegStateReject:
		return none, errors.New("the host answered the login with SPNEGO reject while reporting success")
	default:
		return none, fmt.Errorf("the host's SPNEGO answer has state %d, not accept-completed: Kerberos completes in one round", resp.NegState)
	}
	if len(resp.SupportedMech) > 0 && !gsskrb.IsKRB5Mech(resp.SupportedMech) {
		return none, fmt.Errorf("the host selected mechanism %s, not Kerberos V5", resp.SupportedMech)
	}
	if len(resp.ResponseToken) == 0 {
		return none, errNoAPRep
	}
	id, msg, err := gsskrb.ParseMechToken(resp.ResponseToken)
	if err != nil {
		return none, err
	}
	switch id {
	case gsskrb.TokAPRep:
	case gsskrb.TokKRBError:
		var ke messages.KRBError
		if ke.Unmarshal(msg) == nil {
			return none, fmt.Errorf("the host answered with a Kerberos error: %s", ke.Error())
		}
		return none, errors.New("the host answered with a malformed Kerberos error")
	default:
		return none, fmt.Errorf("the host's token has ID %x, not an AP-REP", id)
	}
	return gsskrb.VerifyAPRep(msg, l.sessionKey, l.auth)
}

// sealingContext is the established context that seals messages over
// HTTP: keyed with the acceptor's subkey when the AP-REP carries one, else
// the initiator's (RFC 4121 2), numbered from the sequence numbers of the
// authenticator and the AP-REP.
func (l *krbLogin) sealingContext(rep messages.EncAPRepPart) (*gsskrb.Context, error) {
	key, acceptorSubkey := l.auth.SubKey, false
	if len(rep.Subkey.KeyValue) > 0 {
		key, acceptorSubkey = rep.Subkey, true
	} else if len(key.KeyValue) == 0 {
		key = l.sessionKey
	}
	return gsskrb.NewContext(key, true, acceptorSubkey, uint64(l.auth.SeqNumber), uint64(rep.SequenceNumber))
}
