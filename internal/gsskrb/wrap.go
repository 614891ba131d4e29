package gsskrb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Wrap token flags (RFC 4121 4.2.2).
const (
	wrapSentByAcceptor = 0x01
	wrapSealed         = 0x02
	wrapAcceptorSubkey = 0x04

	wrapHeaderLen = 16
)

// Context is an established Kerberos security context of one side: the
// key that protects its messages, who this side is, and the sequence
// numbers of both directions. It seals and unseals message bodies the way
// MS-WSMV 2.2.9.1 carries them: Wrap returns the token split into its
// "signature" (the header, with the rotated trailer and confounder, 60
// bytes for AES with SHA-1) and the ciphertext of the message itself, which
// is exactly as long as the message. Calls must come in the order the
// messages travel (one connection, one message at a time).
type Context struct {
	key            types.EncryptionKey
	et             etype.EType
	initiator      bool
	acceptorSubkey bool
	ec             int // filler octets this side adds: 0, or 16 as Windows does

	mu      sync.Mutex
	sendSeq uint64
	recvSeq uint64 // the lowest sequence number the peer may use next
}

// NewContext returns the context for key (RFC 4121 2: the acceptor's
// subkey if the AP-REP carried one, else the initiator's subkey, else the
// ticket's session key; acceptorSubkey says it is the acceptor's), this
// side's initial sequence number and the peer's.
func NewContext(key types.EncryptionKey, initiator, acceptorSubkey bool, sendSeq, recvSeq uint64, opts ...Option) (*Context, error) {
	switch key.KeyType {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192:
	default:
		// RC4-HMAC and DES3 contexts use the older token formats of RFC 4757
		// and RFC 1964, which are not implemented.
		return nil, fmt.Errorf("the Kerberos session key has encryption type %d, which needs the RFC 1964/4757 token format; only AES (RFC 4121 tokens) is supported: "+
			"allow AES for the host's account (msDS-SupportedEncryptionTypes) and the user", key.KeyType)
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	c := &Context{key: key, et: et, initiator: initiator, acceptorSubkey: acceptorSubkey, sendSeq: sendSeq, recvSeq: recvSeq}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Option varies how a Context seals.
type Option func(*Context)

// WindowsFiller makes Wrap seal as Windows' GSS_WrapEx does (MS-KILE
// 3.4.5.4.1): an extra count of one AES block (16 filler octets) and the
// trailer rotated by RRC+EC, not RRC alone as RFC 4121 has it. The
// simulator seals so, to hold the client to what a Windows host sends. The
// client keeps EC 0, where both readings of the rotation agree, as MIT's
// gss_wrap_iov and pywinrm do against Windows.
func WindowsFiller() Option { return func(c *Context) { c.ec = 16 } }

// HeaderLen is the length of the signature part of a sealed message (the
// length MS-WSMV's framing announces before it): the token header, the
// rotated encrypted header copy and checksum, and the encrypted confounder.
func (c *Context) HeaderLen() int {
	return wrapHeaderLen + c.rrc() + c.ec + c.et.GetConfounderByteSize()
}

// rrc is the right rotation count that moves the trailer (the encrypted
// header copy and the checksum) in front of the ciphertext, so the message's
// own ciphertext comes last and keeps its length (RFC 4121 4.2.5; MS-KILE
// 3.4.5.4.1 uses 28 for AES with SHA-1).
func (c *Context) rrc() int { return wrapHeaderLen + c.et.GetHMACBitLength()/8 }

func (c *Context) usages() (seal, peerSeal uint32) {
	if c.initiator {
		return keyusage.GSSAPI_INITIATOR_SEAL, keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	return keyusage.GSSAPI_ACCEPTOR_SEAL, keyusage.GSSAPI_INITIATOR_SEAL
}

func (c *Context) flags(fromAcceptor bool) byte {
	f := byte(wrapSealed)
	if fromAcceptor {
		f |= wrapSentByAcceptor
	}
	if c.acceptorSubkey {
		f |= wrapAcceptorSubkey
	}
	return f
}

// wrapHeader is a Wrap token's 16-byte header (RFC 4121 4.2.6.2): TOK_ID
// 05 04, Flags, Filler FF, EC, RRC and SND_SEQ, big-endian.
func wrapHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, wrapHeaderLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xff
	binary.BigEndian.PutUint16(h[4:6], ec)
	binary.BigEndian.PutUint16(h[6:8], rrc)
	binary.BigEndian.PutUint64(h[8:16], seq)
	return h
}

// Wrap seals plain in a Wrap token with confidentiality (RFC 4121 4.2.4):
// E(confounder | plain | filler | header with RRC 0) followed by the
// checksum, rotated right by RRC (and EC, see WindowsFiller). AES-CTS needs
// no filler, so EC is 0 unless WindowsFiller asks for 16.
func (c *Context) Wrap(plain []byte) (sealed, signature []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seal, _ := c.usages()
	fl := c.flags(!c.initiator)
	inner := make([]byte, 0, len(plain)+c.ec+wrapHeaderLen)
	inner = append(inner, plain...)
	inner = append(inner, make([]byte, c.ec)...)
	inner = append(inner, wrapHeader(fl, uint16(c.ec), 0, c.sendSeq)...)
	_, ct, err := c.et.EncryptMessage(c.key.KeyValue, inner, seal)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot seal the message: %v", err)
	}
	rrc := c.rrc()
	rot := rrc + c.ec
	token := make([]byte, 0, wrapHeaderLen+len(ct))
	token = append(token, wrapHeader(fl, uint16(c.ec), uint16(rrc), c.sendSeq)...)
	token = append(token, ct[len(ct)-rot:]...)
	token = append(token, ct[:len(ct)-rot]...)
	c.sendSeq++
	n := len(token) - len(plain)
	return token[n:], token[:n], nil
}

// ErrUnwrap is returned (wrapped) for a token that is not a sealed Wrap
// token of the peer in this context.
var ErrUnwrap = errors.New("the sealed message is not a valid Kerberos Wrap token of this connection")

// Unwrap verifies and decrypts a Wrap token given as its signature part
// and the rest (MS-WSMV framing), as Wrap produced it or as a peer with
// any EC and RRC did. Tokens without confidentiality, from this side's own
// direction, with another subkey flag, or with a sequence number at or
// below one already seen (a replay or reordering) are refused.
func (c *Context) Unwrap(sealed, signature []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	token := make([]byte, 0, len(signature)+len(sealed))
	token = append(append(token, signature...), sealed...)
	if len(token) < wrapHeaderLen || token[0] != 0x05 || token[1] != 0x04 || token[3] != 0xff {
		return nil, fmt.Errorf("%w: no Wrap token header", ErrUnwrap)
	}
	fl := token[2]
	switch {
	case fl&wrapSealed == 0:
		return nil, fmt.Errorf("%w: the token is not encrypted (integrity only)", ErrUnwrap)
	case (fl&wrapSentByAcceptor != 0) != c.initiator:
		return nil, fmt.Errorf("%w: the token was sent by this side's own role (a reflected message)", ErrUnwrap)
	case (fl&wrapAcceptorSubkey != 0) != c.acceptorSubkey:
		return nil, fmt.Errorf("%w: the token's acceptor-subkey flag does not match the context", ErrUnwrap)
	}
	ec := int(binary.BigEndian.Uint16(token[4:6]))
	rrc := int(binary.BigEndian.Uint16(token[6:8]))
	seq := binary.BigEndian.Uint64(token[8:16])
	if seq < c.recvSeq {
		return nil, fmt.Errorf("%w: sequence number %d was already used (replayed or reordered message; expected %d or later)", ErrUnwrap, seq, c.recvSeq)
	}
	_, peerSeal := c.usages()
	body := token[wrapHeaderLen:]
	// RFC 4121 rotates by RRC; MS-KILE 3.4.5.4.1 says Windows rotates by
	// RRC+EC. They agree when EC is 0 (AES); otherwise the checksum tells.
	var plain []byte
	var err error
	for _, rot := range []int{rrc, rrc + ec} {
		if plain, err = c.et.DecryptMessage(c.key.KeyValue, rotateLeft(body, rot), peerSeal); err == nil || ec == 0 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnwrap, err)
	}
	if len(plain) < ec+wrapHeaderLen {
		return nil, fmt.Errorf("%w: too short", ErrUnwrap)
	}
	// The outer header is protected only through this encrypted copy
	// (RFC 4121 4.2.4), which carries RRC 0; a copy that repeats the outer
	// RRC is tolerated, since RRC only places the trailer and a wrong one
	// fails the checksum above.
	copyHdr := plain[len(plain)-wrapHeaderLen:]
	if !bytes.Equal(copyHdr, wrapHeader(fl, uint16(ec), 0, seq)) && !bytes.Equal(copyHdr, wrapHeader(fl, uint16(ec), uint16(rrc), seq)) {
		return nil, fmt.Errorf("%w: the encrypted header copy differs from the header", ErrUnwrap)
	}
	c.recvSeq = seq + 1
	return plain[:len(plain)-ec-wrapHeaderLen], nil
}

// rotateLeft undoes a right rotation by n (RFC 4121 4.2.5).
func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, 0, len(b))
	return append(append(out, b[n:]...), b[:n]...)
}
