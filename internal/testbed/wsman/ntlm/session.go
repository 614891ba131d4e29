package ntlm

import (
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
)

// Role says which end of the connection a Session is.
type Role int

const (
	Client Role = iota
	Server
)

// Magic constants of SIGNKEY and SEALKEY (MS-NLMP 3.4.5.2, 3.4.5.3); each
// is hashed with its terminating NUL.
var (
	clientSignMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSignMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const SignatureSize = 16

// Session is the connection-oriented security context of one authenticated
// connection (MS-NLMP 3.4): sequence numbers and the RC4 states run on from
// one message to the next, so messages must be wrapped and unwrapped in the
// order they travel. It is safe for concurrent use, but two goroutines
// wrapping for the same connection would still have to agree on the order
// the messages are sent in.
type Session struct {
	mu                 sync.Mutex
	flags              uint32
	sendSeq, recvSeq   uint32
	sendSign, recvSign []byte
	sendSeal, recvSeal *rc4.Cipher
	broken             bool
}

// NewSession derives the keys of a session from the exported session key.
// Only extended session security (which NTLMv2 always uses) is supported.
func NewSession(flags uint32, exportedSessionKey []byte, role Role) (*Session, error) {
	if flags&FlagExtendedSessionSecurity == 0 {
		return nil, ErrUnsupported
	}
	if len(exportedSessionKey) != 16 {
		return nil, errors.New("ntlm: the exported session key must be 16 bytes")
	}
	cSign, sSign := md5Of(exportedSessionKey, clientSignMagic), md5Of(exportedSessionKey, serverSignMagic)
	sealBase := exportedSessionKey
	switch {
	case flags&Flag128 != 0:
	case flags&Flag56 != 0:
		sealBase = exportedSessionKey[:7]
	default:
		sealBase = exportedSessionKey[:5]
	}
	cSeal, _ := rc4.NewCipher(md5Of(sealBase, clientSealMagic))
	sSeal, _ := rc4.NewCipher(md5Of(sealBase, serverSealMagic))
	s := &Session{flags: flags}
	if role == Client {
		s.sendSign, s.recvSign, s.sendSeal, s.recvSeal = cSign, sSign, cSeal, sSeal
	} else {
		s.sendSign, s.recvSign, s.sendSeal, s.recvSeal = sSign, cSign, sSeal, cSeal
	}
	return s, nil
}

func md5Of(a, b []byte) []byte {
	h := md5.New()
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

// Sealing reports whether the negotiated flags include confidentiality.
func (s *Session) Sealing() bool { return s.flags&FlagSeal != 0 }

// Wrap seals message (when sealing was negotiated) and signs it, returning
// the sealed bytes and the 16-byte signature (GSS_WrapEx).
func (s *Session) Wrap(message []byte) (sealed, sig []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return nil, nil, ErrSignature
	}
	sealed = append([]byte(nil), message...)
	if s.flags&FlagSeal != 0 {
		s.sendSeal.XORKeyStream(sealed, sealed)
	}
	sig = s.mac(s.sendSeal, s.sendSign, s.sendSeq, message)
	s.sendSeq++
	return sealed, sig, nil
}

// Unwrap unseals sealed (when sealing was negotiated) and verifies its
// signature and sequence number (GSS_UnwrapEx). After a failure the session
// is unusable: its RC4 state no longer matches the peer's.
func (s *Session) Unwrap(sealed, sig []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken || len(sig) != SignatureSize {
		s.broken = true
		return nil, ErrSignature
	}
	plain := append([]byte(nil), sealed...)
	if s.flags&FlagSeal != 0 {
		s.recvSeal.XORKeyStream(plain, plain)
	}
	want := s.mac(s.recvSeal, s.recvSign, s.recvSeq, plain)
	if subtle.ConstantTimeCompare(want, sig) != 1 {
		s.broken = true
		return nil, ErrSignature
	}
	s.recvSeq++
	return plain, nil
}

// mac is the NTLMSSP_MESSAGE_SIGNATURE with extended session security
// (MS-NLMP 3.4.4.2): version 1, the first 8 bytes of HMAC_MD5(SigningKey,
// SeqNum || Message), RC4-encrypted with the sealing state when keys were
// exchanged, then SeqNum.
func (s *Session) mac(seal *rc4.Cipher, signKey []byte, seq uint32, message []byte) []byte {
	var seqb [4]byte
	binary.LittleEndian.PutUint32(seqb[:], seq)
	checksum := hmacMD5(signKey, seqb[:], message)[:8]
	if s.flags&FlagKeyExch != 0 {
		seal.XORKeyStream(checksum, checksum)
	}
	sig := make([]byte, 0, SignatureSize)
	sig = binary.LittleEndian.AppendUint32(sig, 1)
	sig = append(sig, checksum...)
	return append(sig, seqb[:]...)
}
