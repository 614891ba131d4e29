package gsskrb

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// Token IDs of the Kerberos context tokens (RFC 4121 4.1).
var (
	TokAPReq    = [2]byte{0x01, 0x00}
	TokAPRep    = [2]byte{0x02, 0x00}
	TokKRBError = [2]byte{0x03, 0x00}
)

// MechOIDs are the Kerberos V5 mechanism OIDs a SPNEGO peer may name: the
// standard one and the one Windows used to send by mistake (MS-KILE 3.1.5.12)
// and still accepts.
var (
	OIDKRB5   = gssapi.OIDKRB5.OID()
	OIDMSKRB5 = gssapi.OIDMSLegacyKRB5.OID()
)

// IsKRB5Mech reports whether oid names Kerberos V5.
func IsKRB5Mech(oid asn1.ObjectIdentifier) bool { return oid.Equal(OIDKRB5) || oid.Equal(OIDMSKRB5) }

// MarshalMechToken frames a Kerberos message as a GSS-API context token:
// [APPLICATION 0] { mech OID, TOK_ID, message } (RFC 2743 3.1, RFC 4121 4.1).
// gokrb5 builds this framing only for an AP-REQ.
func MarshalMechToken(tokID [2]byte, msg []byte) []byte {
	oid, _ := asn1.Marshal(OIDKRB5) // a constant OID always marshals
	b := make([]byte, 0, len(oid)+2+len(msg))
	b = append(b, oid...)
	b = append(b, tokID[:]...)
	b = append(b, msg...)
	return asn1tools.AddASNAppTag(b, 0)
}

// ParseMechToken reads a GSS-API context token of the Kerberos mechanism.
func ParseMechToken(b []byte) (tokID [2]byte, msg []byte, err error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.UnmarshalWithParams(b, &oid, "application,explicit,tag:0")
	if err != nil {
		return tokID, nil, fmt.Errorf("not a GSS-API context token: %v", err)
	}
	if !IsKRB5Mech(oid) {
		return tokID, nil, fmt.Errorf("the context token is of mechanism %s, not Kerberos V5", oid)
	}
	if len(rest) < 2 {
		return tokID, nil, errors.New("the Kerberos context token is truncated")
	}
	copy(tokID[:], rest[:2])
	return tokID, rest[2:], nil
}

// IsMechToken reports whether b looks like a raw GSS-API context token (a
// bare Kerberos token, as pywinrm and MIT's gss_init_sec_context with the
// krb5 mechanism send) rather than SPNEGO.
func IsMechToken(b []byte) bool {
	_, _, err := ParseMechToken(b)
	return err == nil
}

// InitToken wraps an AP-REQ context token in a SPNEGO NegTokenInit offering
// Kerberos V5 only (RFC 4178 4.2.1), as Windows clients send in
// "Authorization: Negotiate". With one mechanism offered there is nothing to
// downgrade, so no mechListMIC is needed (RFC 4178 5).
func InitToken(mechToken []byte) ([]byte, error) {
	t := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes:      []asn1.ObjectIdentifier{OIDKRB5},
		MechTokenBytes: mechToken,
	}}
	return t.Marshal()
}

// RespToken builds a SPNEGO NegTokenResp (RFC 4178 4.2.2).
func RespToken(state spnego.NegState, mech asn1.ObjectIdentifier, responseToken []byte) ([]byte, error) {
	r := spnego.NegTokenResp{NegState: asn1.Enumerated(state), SupportedMech: mech, ResponseToken: responseToken}
	return r.Marshal()
}

// ParseInit returns the mechanism token of a SPNEGO NegTokenInit (whose
// first mechanism must be Kerberos V5: it is the optimistic token's) or of
// a raw Kerberos context token; spnegoWrapped says which it was, and mech
// the OID the initiator named first (the reply names the same one).
func ParseInit(b []byte) (mechToken []byte, spnegoWrapped bool, mech asn1.ObjectIdentifier, err error) {
	if IsMechToken(b) {
		return b, false, OIDKRB5, nil
	}
	var t spnego.SPNEGOToken
	if err := t.Unmarshal(b); err != nil || !t.Init {
		return nil, false, nil, errors.New("the Negotiate token is neither SPNEGO NegTokenInit nor a Kerberos context token")
	}
	init := t.NegTokenInit
	if len(init.MechTypes) == 0 || !IsKRB5Mech(init.MechTypes[0]) || len(init.MechTokenBytes) == 0 {
		return nil, true, nil, errors.New("the SPNEGO NegTokenInit carries no optimistic Kerberos V5 token")
	}
	return init.MechTokenBytes, true, init.MechTypes[0], nil
}

// ParseResp reads the acceptor's final token: a SPNEGO NegTokenResp, or a
// raw Kerberos context token (from an acceptor answering a raw token).
func ParseResp(b []byte) (resp spnego.NegTokenResp, raw bool, err error) {
	if IsMechToken(b) {
		return spnego.NegTokenResp{NegState: asn1.Enumerated(spnego.NegStateAcceptCompleted), SupportedMech: OIDKRB5, ResponseToken: b}, true, nil
	}
	if len(b) == 0 || !bytes.HasPrefix(b, []byte{0xa1}) {
		return resp, false, errors.New("the reply token is neither a SPNEGO NegTokenResp nor a Kerberos context token")
	}
	// One wording for every token that is not a reply, whichever parser
	// gave up on it.
	init, v, err := spnego.UnmarshalNegToken(b)
	if err != nil {
		return resp, false, fmt.Errorf("the reply token is neither a SPNEGO NegTokenResp nor a Kerberos context token: %v", err)
	}
	r, ok := v.(spnego.NegTokenResp)
	if init || !ok {
		return resp, false, errors.New("the reply token is neither a SPNEGO NegTokenResp nor a Kerberos context token: it is a NegTokenInit")
	}
	return r, false, nil
}
