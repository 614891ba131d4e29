// Package encrypted frames WS-Management message bodies sealed with a
// connection's security context (NTLM or Kerberos) the way Windows does over HTTP
// (MS-WSMV 2.2.9.1): a Content-Type of
//
//	multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"
//
// and a body of two MIME-like parts:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext length>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32le signature length><signature><sealed bytes>--Encrypted Boundary--\r\n
//
// The signature is NTLM's 16-byte one, or for Kerberos the Wrap token's
// header with its rotated trailer and confounder (60 bytes with AES and
// SHA-1): the sealed bytes are always as long as the message. The protocol
// names the HTTP authentication scheme that set up the context (MS-WSMV
// 2.2.9.1): SPNEGO for "Authorization: Negotiate", whatever mechanism it
// carried (pywinrm's encryption.py labels its Kerberos messages so too),
// and HTTP-Kerberos-session-encrypted for "Authorization: Kerberos".
//
// The header lines start with a tab and the binary part is not followed by
// a line break, so mime/multipart cannot read it. Both the client and the
// server side use this package; the server is checked against masterzen's
// independent implementation in its tests.
package encrypted

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

const (
	// Protocol is the protocol parameter of the Content-Type (Negotiate).
	Protocol = "application/HTTP-SPNEGO-session-encrypted"
	// ProtocolKerberos is the protocol of contexts set up with the HTTP
	// "Kerberos" scheme (MS-WSMV 2.2.9.1.2).
	ProtocolKerberos = "application/HTTP-Kerberos-session-encrypted"
	// ContentType is the Content-Type of an encrypted body, as Windows sends it.
	ContentType = `multipart/encrypted;protocol="` + Protocol + `";boundary="Encrypted Boundary"`

	boundary  = "--Encrypted Boundary"
	octetPart = "Content-Type: application/octet-stream"
	maxSig    = 1024 // far above any real token header (NTLM 16, Kerberos AES 60-76)
)

// Protocoler is implemented by a Wrapper or Unwrapper whose context was not
// set up with Negotiate: it names the protocol its messages carry.
type Protocoler interface{ Protocol() string }

// ProtocolOf returns the protocol of x's messages (Protocol by default).
func ProtocolOf(x any) string {
	if p, ok := x.(Protocoler); ok {
		return p.Protocol()
	}
	return Protocol
}

// ContentTypeOf is the Content-Type of bodies sealed by x.
func ContentTypeOf(x any) string {
	return `multipart/encrypted;protocol="` + ProtocolOf(x) + `";boundary="Encrypted Boundary"`
}

// Wrapper seals and signs one message (GSS_WrapEx).
type Wrapper interface {
	Wrap(plain []byte) (sealed, signature []byte, err error)
}

// Unwrapper unseals one message and verifies its signature (GSS_UnwrapEx).
type Unwrapper interface {
	Unwrap(sealed, signature []byte) ([]byte, error)
}

// Is reports whether contentType announces an HTTP-SPNEGO-session-encrypted
// body.
func Is(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "multipart/encrypted" &&
		(strings.EqualFold(params["protocol"], Protocol) || strings.EqualFold(params["protocol"], ProtocolKerberos))
}

// Encode seals body with w and frames it. originalType is the Content-Type
// the body would have had in clear (application/soap+xml;charset=UTF-8).
func Encode(w Wrapper, body []byte, originalType string) ([]byte, error) {
	sealed, sig, err := w.Wrap(body)
	if err != nil {
		return nil, err
	}
	if len(sig) == 0 || len(sig) > maxSig || len(sealed) != len(body) {
		return nil, fmt.Errorf("encrypted: unexpected wrap output (%d-byte signature, %d of %d bytes)", len(sig), len(sealed), len(body))
	}
	var b bytes.Buffer
	b.Grow(len(body) + 300)
	b.WriteString(boundary + "\r\n")
	b.WriteString("\tContent-Type: " + ProtocolOf(w) + "\r\n")
	fmt.Fprintf(&b, "\tOriginalContent: type=%s;Length=%d\r\n", originalType, len(body))
	b.WriteString(boundary + "\r\n")
	b.WriteString("\t" + octetPart + "\r\n")
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(sig)))
	b.Write(l[:])
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(boundary + "--\r\n")
	return b.Bytes(), nil
}

// ErrFraming is returned (wrapped) for a body that is not framed as above.
var ErrFraming = errors.New("encrypted: malformed multipart/encrypted body")

// Decode reads a framed body, unseals every part with u (in order) and
// returns the plaintext and its original Content-Type. The sealed part is
// read by the length OriginalContent announces, never by searching for the
// boundary, which may occur inside ciphertext.
func Decode(u Unwrapper, body []byte) (plain []byte, originalType string, err error) {
	rest := body
	for {
		if bytes.HasPrefix(rest, []byte(boundary+"--")) {
			if len(plain) == 0 && originalType == "" {
				return nil, "", fmt.Errorf("%w: no part", ErrFraming)
			}
			return plain, originalType, nil
		}
		if len(bytes.TrimSpace(rest)) == 0 {
			if originalType == "" {
				return nil, "", fmt.Errorf("%w: empty", ErrFraming)
			}
			return plain, originalType, nil // closing boundary missing: tolerated
		}
		var typ string
		var n int
		typ, n, rest, err = readHeaderPart(rest, ProtocolOf(u))
		if err != nil {
			return nil, "", err
		}
		if !bytes.HasPrefix(rest, []byte(boundary+"\r\n")) {
			return nil, "", fmt.Errorf("%w: no second boundary", ErrFraming)
		}
		rest = rest[len(boundary)+2:]
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok || !strings.EqualFold(strings.TrimSpace(string(line)), octetPart) {
			return nil, "", fmt.Errorf("%w: the second part is not application/octet-stream", ErrFraming)
		}
		rest = after
		if len(rest) < 4 {
			return nil, "", fmt.Errorf("%w: truncated", ErrFraming)
		}
		sl := int(binary.LittleEndian.Uint32(rest))
		if sl == 0 || sl > maxSig || len(rest) < 4+sl+n {
			return nil, "", fmt.Errorf("%w: truncated or bad signature length %d", ErrFraming, sl)
		}
		sig, sealed := rest[4:4+sl], rest[4+sl:4+sl+n]
		rest = rest[4+sl+n:]
		p, err := u.Unwrap(sealed, sig)
		if err != nil {
			return nil, "", err
		}
		plain = append(plain, p...)
		originalType = typ
	}
}

// readHeaderPart reads "--Encrypted Boundary" and the first part's header
// lines up to the next boundary; it returns the original type and length.
func readHeaderPart(b []byte, protocol string) (typ string, n int, rest []byte, err error) {
	if !bytes.HasPrefix(b, []byte(boundary+"\r\n")) {
		return "", 0, nil, fmt.Errorf("%w: does not start with the boundary", ErrFraming)
	}
	b = b[len(boundary)+2:]
	var proto, orig string
	for !bytes.HasPrefix(b, []byte(boundary)) {
		line, after, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return "", 0, nil, fmt.Errorf("%w: unterminated header", ErrFraming)
		}
		b = after
		name, value, ok := strings.Cut(strings.TrimSpace(string(line)), ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-type":
			proto = strings.TrimSpace(value)
		case "originalcontent":
			orig = strings.TrimSpace(value)
		}
	}
	if !strings.EqualFold(proto, protocol) {
		return "", 0, nil, fmt.Errorf("%w: first part has Content-Type %q", ErrFraming, proto)
	}
	// OriginalContent: type=application/soap+xml;charset=UTF-8;Length=1234
	i := strings.LastIndex(strings.ToLower(orig), ";length=")
	if !strings.HasPrefix(strings.ToLower(orig), "type=") || i < 0 {
		return "", 0, nil, fmt.Errorf("%w: OriginalContent %q", ErrFraming, orig)
	}
	n, err = strconv.Atoi(strings.TrimSpace(orig[i+len(";length="):]))
	if err != nil || n < 0 {
		return "", 0, nil, fmt.Errorf("%w: OriginalContent length %q", ErrFraming, orig)
	}
	return orig[len("type="):i], n, b, nil
}
