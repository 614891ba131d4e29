package gsskrb

import (
	"bytes"
	"crypto/md5" // RFC 4121 4.1.1.2 fixes MD5 for the Bnd field; nothing secret depends on it
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/types"
)

// GSS context flags of the authenticator checksum (RFC 4121 4.1.1.1).
const (
	FlagDeleg    uint32 = 1
	FlagMutual   uint32 = 2
	FlagReplay   uint32 = 4
	FlagSequence uint32 = 8
	FlagConf     uint32 = 16
	FlagInteg    uint32 = 32
)

// Checksum is the content of the authenticator checksum of type 0x8003
// (RFC 4121 4.1.1): the MD5 of the channel bindings (zeros without
// bindings) and the context flags the initiator asks for.
type Checksum struct {
	Bindings [16]byte
	Flags    uint32
}

// Marshal encodes the checksum: Lgth (16), Bnd, Flags, little-endian.
// Delegation is never asked for, so no Deleg fields follow.
func (c Checksum) Marshal() types.Checksum {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:4], 16)
	copy(b[4:20], c.Bindings[:])
	binary.LittleEndian.PutUint32(b[20:24], c.Flags&^FlagDeleg)
	return types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: b}
}

// ParseChecksum reads the authenticator checksum of an AP-REQ.
func ParseChecksum(c types.Checksum) (Checksum, error) {
	var out Checksum
	if c.CksumType != chksumtype.GSSAPI {
		return out, fmt.Errorf("the authenticator checksum has type %d, not the GSS-API type 0x8003 (RFC 4121 4.1.1)", c.CksumType)
	}
	if len(c.Checksum) < 24 || binary.LittleEndian.Uint32(c.Checksum[0:4]) != 16 {
		return out, errors.New("the authenticator checksum is malformed (RFC 4121 4.1.1)")
	}
	copy(out.Bindings[:], c.Checksum[4:20])
	out.Flags = binary.LittleEndian.Uint32(c.Checksum[20:24])
	return out, nil
}

// HasBindings reports whether the initiator sent channel bindings (a Bnd
// field other than zeros).
func (c Checksum) HasBindings() bool { return c.Bindings != [16]byte{} }

// BindingsHash is the Bnd field for the application data of channel
// bindings (for TLS, chanbind.ApplicationData): the MD5 of the
// gss_channel_bindings_struct with no addresses (RFC 4121 4.1.1.2, RFC 2744
// 3.11), each length a 32-bit little-endian integer.
func BindingsHash(applicationData []byte) [16]byte {
	var b bytes.Buffer
	var u [4]byte
	for range 4 { // initiator_addrtype, initiator_address.length, acceptor_addrtype, acceptor_address.length
		b.Write(u[:])
	}
	binary.LittleEndian.PutUint32(u[:], uint32(len(applicationData)))
	b.Write(u[:])
	b.Write(applicationData)
	return md5.Sum(b.Bytes())
}
