package gsskrb

import (
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MarshalAPRep builds the KRB_AP_REP of mutual authentication (RFC 4120
// 5.5.2): the authenticator's ctime and cusec, the acceptor's subkey (none
// when subkey.KeyValue is empty) and initial sequence number, encrypted in
// the ticket's session key with key usage 12. gokrb5 cannot build one.
func MarshalAPRep(sessionKey types.EncryptionKey, ctime time.Time, cusec int, subkey types.EncryptionKey, seq int64) ([]byte, error) {
	part := messages.EncAPRepPart{CTime: ctime.UTC().Truncate(time.Second), Cusec: cusec, Subkey: subkey, SequenceNumber: seq}
	pb, err := asn1.Marshal(part)
	if err != nil {
		return nil, fmt.Errorf("cannot encode EncAPRepPart: %v", err)
	}
	pb = asn1tools.AddASNAppTag(pb, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(pb, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot encrypt EncAPRepPart: %v", err)
	}
	rb, err := asn1.Marshal(messages.APRep{PVNO: iana.PVNO, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, fmt.Errorf("cannot encode AP-REP: %v", err)
	}
	return asn1tools.AddASNAppTag(rb, asnAppTag.APREP), nil
}

// ErrAPRepForged is returned (wrapped) when an AP-REP does not decrypt with
// the session key: it was not made by the holder of the service's key.
var ErrAPRepForged = errors.New("the AP-REP does not decrypt with the ticket's session key")

// VerifyAPRep checks the acceptor's AP-REP against the authenticator the
// initiator sent (RFC 4120 3.2.5): it must decrypt with the session key and
// carry the authenticator's ctime and cusec. It returns the EncAPRepPart
// (the acceptor's subkey and sequence number).
func VerifyAPRep(b []byte, sessionKey types.EncryptionKey, auth types.Authenticator) (messages.EncAPRepPart, error) {
	var rep messages.APRep
	var part messages.EncAPRepPart
	if err := rep.Unmarshal(b); err != nil {
		return part, fmt.Errorf("the AP-REP is malformed: %v", err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return part, fmt.Errorf("%w (%v)", ErrAPRepForged, err)
	}
	if err := part.Unmarshal(plain); err != nil {
		return part, fmt.Errorf("the AP-REP's encrypted part is malformed: %v", err)
	}
	if !part.CTime.Equal(auth.CTime.UTC().Truncate(time.Second)) || part.Cusec != auth.Cusec {
		return part, fmt.Errorf("%w: it answers another authenticator (ctime %s.%06d, sent %s.%06d): a replayed reply",
			ErrAPRepForged, part.CTime.Format(time.RFC3339), part.Cusec, auth.CTime.UTC().Format(time.RFC3339), auth.Cusec)
	}
	return part, nil
}
