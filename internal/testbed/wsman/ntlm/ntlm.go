// Package ntlm is the server side (acceptor) of NTLMv2 authentication with
// session security, as MS-NLMP specifies it: it answers a NEGOTIATE_MESSAGE
// with a CHALLENGE_MESSAGE, checks the client's AUTHENTICATE_MESSAGE against
// a configured password (NTOWFv2, NTProofStr, MIC, channel bindings), derives
// the session keys and seals, signs, unseals and verifies messages with them
// (MS-NLMP 3.4, connection-oriented).
//
// It is written by hand from the specification, with the standard library
// and golang.org/x/crypto/md4, because no library this module uses offers an
// NTLM acceptor: github.com/bodgit/ntlmssp (which the WinRM client uses) has
// only the client side, and its session type cannot be built from outside.
// Only NTLMv2 with extended session security is accepted: NTLMv1 and LM
// responses are refused, as a hardened Windows host refuses them.
//
// The WS-Management simulator uses it to accept `Authorization: Negotiate`
// with raw NTLMSSP tokens and to read and write
// multipart/encrypted (HTTP-SPNEGO-session-encrypted) bodies.
package ntlm

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"golang.org/x/text/encoding/charmap"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
)

// Negotiate flags (MS-NLMP 2.2.2.5) this acceptor knows.
const (
	FlagUnicode                 uint32 = 0x00000001
	FlagOEM                     uint32 = 0x00000002
	FlagRequestTarget           uint32 = 0x00000004
	FlagSign                    uint32 = 0x00000010
	FlagSeal                    uint32 = 0x00000020
	FlagLMKey                   uint32 = 0x00000080
	FlagNTLM                    uint32 = 0x00000200
	FlagAnonymous               uint32 = 0x00000800
	FlagAlwaysSign              uint32 = 0x00008000
	FlagTargetTypeServer        uint32 = 0x00020000
	FlagExtendedSessionSecurity uint32 = 0x00080000
	FlagTargetInfo              uint32 = 0x00800000
	FlagVersion                 uint32 = 0x02000000
	Flag128                     uint32 = 0x20000000
	FlagKeyExch                 uint32 = 0x40000000
	Flag56                      uint32 = 0x80000000
)

// AV pair ids (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avFlags           = 6
	avTimestamp       = 7
	avChannelBindings = 10

	avFlagMICPresent = 0x2
)

var signature = []byte("NTLMSSP\x00")

// Errors Accept returns. They never contain secrets; they say what was
// wrong so the server can log it.
var (
	ErrMalformed     = errors.New("ntlm: malformed message")
	ErrUnsupported   = errors.New("ntlm: only NTLMv2 with extended session security is accepted")
	ErrUnknownUser   = errors.New("ntlm: unknown user")
	ErrWrongPassword = errors.New("ntlm: the response does not match the password (wrong password)")
	ErrMIC           = errors.New("ntlm: the message integrity code does not match")
	ErrBindings      = errors.New("ntlm: the channel bindings do not match this TLS connection")
	ErrSignature     = errors.New("ntlm: message signature or sequence number does not match")
)

// Config describes the accounts and the names a server announces.
type Config struct {
	// Users maps user names (matched case-insensitively, without a domain
	// prefix) to passwords. Only their NT hashes are kept.
	Users map[string]string
	// ComputerName is the NetBIOS name of the server ("DP01"); DomainName
	// its NetBIOS domain ("CORP"; default: ComputerName, a workgroup host).
	// DNSDomainName and DNSComputerName are announced in the challenge.
	ComputerName, DomainName, DNSDomainName, DNSComputerName string
	// Now and Rand default to time.Now and crypto/rand.Reader; tests fix
	// them to reproduce the MS-NLMP examples.
	Now  func() time.Time
	Rand io.Reader
	// KeyLog, when set, receives a line "NTLM <server challenge hex>
	// <exported session key hex>" per accepted authentication, like
	// SSLKEYLOGFILE. For tests that must prove no key leaked elsewhere;
	// never set it in production.
	KeyLog io.Writer
}

// Acceptor checks NTLM authentications against Config.Users. It is safe for
// concurrent use; the state of one handshake is a *Handshake.
type Acceptor struct {
	hashes                      map[string][16]byte // upper-case user -> NTOWFv1
	computer, domain, dnsDomain string
	dnsComputer                 string
	now                         func() time.Time
	rand                        io.Reader
	keyLogMu                    sync.Mutex
	keyLog                      io.Writer
}

// NewAcceptor returns an Acceptor for cfg.
func NewAcceptor(cfg Config) *Acceptor {
	a := &Acceptor{
		hashes:      map[string][16]byte{},
		computer:    strings.ToUpper(orDefault(cfg.ComputerName, "DP01")),
		dnsDomain:   cfg.DNSDomainName,
		dnsComputer: cfg.DNSComputerName,
		now:         cfg.Now,
		rand:        cfg.Rand,
		keyLog:      cfg.KeyLog,
	}
	a.domain = strings.ToUpper(orDefault(cfg.DomainName, a.computer))
	if a.dnsComputer == "" {
		a.dnsComputer = strings.ToLower(a.computer)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	for u, p := range cfg.Users {
		a.hashes[strings.ToUpper(u)] = NTOWFv1(p)
	}
	return a
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Handshake is one authentication in progress: what was negotiated and the
// challenge sent. It belongs to one connection.
type Handshake struct {
	a               *Acceptor
	negotiate       []byte
	challenge       []byte
	serverChallenge [8]byte
}

// Result is an accepted authentication.
type Result struct {
	User, Domain, Workstation string
	// Flags are the flags the client confirmed in its AUTHENTICATE_MESSAGE.
	Flags uint32
	// Session seals and signs the connection's messages.
	Session *Session
}

// IsNTLM reports whether token is a raw NTLMSSP message (not SPNEGO).
func IsNTLM(token []byte) bool { return bytes.HasPrefix(token, signature) }

// MessageType returns the NTLMSSP message type of token (1, 2 or 3), or 0.
func MessageType(token []byte) uint32 {
	if !IsNTLM(token) || len(token) < 12 {
		return 0
	}
	return binary.LittleEndian.Uint32(token[8:12])
}

// Challenge answers a NEGOTIATE_MESSAGE: it returns the handshake state to
// keep with the connection and the CHALLENGE_MESSAGE to send.
func (a *Acceptor) Challenge(negotiate []byte) (*Handshake, []byte, error) {
	if MessageType(negotiate) != 1 || len(negotiate) < 16 {
		return nil, nil, ErrMalformed
	}
	flags := binary.LittleEndian.Uint32(negotiate[12:16])
	// MS-NLMP 2.2.2.5: with NTLMSSP_NEGOTIATE_UNICODE the strings are
	// Unicode; with only NTLM_NEGOTIATE_OEM they are OEM (pywinrm's
	// requests-ntlm negotiates so); with neither the token is invalid.
	charset := FlagUnicode
	switch {
	case flags&FlagUnicode != 0:
	case flags&FlagOEM != 0:
		charset = FlagOEM
	default:
		return nil, nil, fmt.Errorf("%w (the client offers neither Unicode nor OEM strings)", ErrUnsupported)
	}
	h := &Handshake{a: a, negotiate: append([]byte(nil), negotiate...)}
	if _, err := io.ReadFull(a.rand, h.serverChallenge[:]); err != nil {
		return nil, nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}
	// Offer what the client asked for among what we support; extended
	// session security always, as Windows does for NTLMv2.
	offered := charset | FlagRequestTarget | FlagNTLM | FlagAlwaysSign | FlagTargetTypeServer |
		FlagExtendedSessionSecurity | FlagTargetInfo | FlagVersion
	offered |= flags & (FlagSign | FlagSeal | Flag128 | Flag56 | FlagKeyExch)

	var ti bytes.Buffer
	putAV(&ti, avNbDomainName, utf16le(a.domain))
	putAV(&ti, avNbComputerName, utf16le(a.computer))
	putAV(&ti, avDNSDomainName, utf16le(a.dnsDomain))
	putAV(&ti, avDNSComputerName, utf16le(a.dnsComputer))
	ts := make([]byte, 8)
	binary.LittleEndian.PutUint64(ts, fileTime(a.now()))
	putAV(&ti, avTimestamp, ts)
	putAV(&ti, avEOL, nil)

	// TargetName is in the chosen character set; TargetInfo's AV pairs
	// are always Unicode (MS-NLMP 2.2.1.2, 2.2.2.1).
	target := utf16le(a.domain)
	if charset == FlagOEM {
		target = toOEM(a.domain)
	}
	const fixed = 56 // header through Version
	m := make([]byte, fixed, fixed+len(target)+ti.Len())
	copy(m, signature)
	binary.LittleEndian.PutUint32(m[8:], 2)
	putField(m[12:], len(target), fixed)
	binary.LittleEndian.PutUint32(m[20:], offered)
	copy(m[24:32], h.serverChallenge[:])
	putField(m[40:], ti.Len(), fixed+len(target))
	copy(m[48:56], windowsVersion)
	m = append(m, target...)
	m = append(m, ti.Bytes()...)
	h.challenge = m
	return h, m, nil
}

// windowsVersion is the VERSION structure of Windows Server 2019 (10.0.17763,
// NTLMSSP_REVISION_W2K3).
var windowsVersion = []byte{10, 0, 0x63, 0x45, 0, 0, 0, 0x0f}

// Accept checks an AUTHENTICATE_MESSAGE. bindingsHash is the MD5 of the
// gss_channel_bindings_struct of the TLS connection (see ChannelBindingsHash),
// or nil over plain HTTP; a client that sends no bindings is accepted
// (Windows' default CbtHardeningLevel "Relaxed"), one that sends other
// bindings is refused.
func (h *Handshake) Accept(authenticate []byte, bindingsHash []byte) (*Result, error) {
	m := authenticate
	if MessageType(m) != 3 || len(m) < 64 {
		return nil, ErrMalformed
	}
	field := func(off int) ([]byte, error) {
		l := int(binary.LittleEndian.Uint16(m[off:]))
		o := int(binary.LittleEndian.Uint32(m[off+4:]))
		if l == 0 {
			return nil, nil
		}
		if o < 0 || o+l > len(m) || o+l < o {
			return nil, ErrMalformed
		}
		return m[o : o+l], nil
	}
	var parts [6][]byte
	for i, off := range []int{12, 20, 28, 36, 44, 52} {
		b, err := field(off)
		if err != nil {
			return nil, err
		}
		parts[i] = b
	}
	ntResp, domainB, userB, wsB, encKey := parts[1], parts[2], parts[3], parts[4], parts[5]
	flags := binary.LittleEndian.Uint32(m[60:64])
	decode := fromUTF16
	switch {
	case flags&FlagUnicode != 0:
	case flags&FlagOEM != 0:
		decode = fromOEM
	default:
		return nil, fmt.Errorf("%w (neither Unicode nor OEM strings)", ErrUnsupported)
	}
	if flags&FlagAnonymous != 0 || len(ntResp) == 0 {
		return nil, fmt.Errorf("%w (anonymous)", ErrUnknownUser)
	}
	// An NTLMv2 response is NTProofStr (16) followed by at least the fixed
	// 28 bytes of the client blob; an NTLMv1 response is 24 bytes.
	if len(ntResp) < 16+28 || flags&FlagExtendedSessionSecurity == 0 {
		return nil, ErrUnsupported
	}
	user, domain, ws := decode(userB), decode(domainB), decode(wsB)
	if !h.a.knownDomain(domain) {
		return nil, fmt.Errorf("%w %q in domain %q", ErrUnknownUser, user, domain)
	}
	nt, ok := h.a.hashes[strings.ToUpper(user)]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownUser, user)
	}
	key := NTOWFv2(nt, user, domain)
	proof, blob := ntResp[:16], ntResp[16:]
	want := hmacMD5(key, h.serverChallenge[:], blob)
	if subtle.ConstantTimeCompare(proof, want) != 1 {
		return nil, fmt.Errorf("%w for user %q", ErrWrongPassword, user)
	}
	if blob[0] != 1 || blob[1] != 1 {
		return nil, fmt.Errorf("%w (NTLMv2 blob version %d.%d)", ErrMalformed, blob[0], blob[1])
	}
	avs, err := parseAVPairs(blob[28:])
	if err != nil {
		return nil, err
	}

	sessionBaseKey := hmacMD5(key, proof)
	exported := sessionBaseKey // KeyExchangeKey is the session base key in NTLMv2
	if flags&FlagKeyExch != 0 {
		if len(encKey) != 16 {
			return nil, fmt.Errorf("%w (encrypted session key of %d bytes)", ErrMalformed, len(encKey))
		}
		exported = rc4Once(sessionBaseKey, encKey)
	}

	if v, ok := avs[avFlags]; ok && len(v) == 4 && binary.LittleEndian.Uint32(v)&avFlagMICPresent != 0 {
		// The MIC follows the VERSION field; it is computed over all three
		// messages with the MIC itself zeroed.
		const micOff = 72
		if len(m) < micOff+16 {
			return nil, ErrMalformed
		}
		zeroed := append([]byte(nil), m...)
		clear(zeroed[micOff : micOff+16])
		mic := hmacMD5(exported, h.negotiate, h.challenge, zeroed)
		if subtle.ConstantTimeCompare(mic, m[micOff:micOff+16]) != 1 {
			return nil, ErrMIC
		}
	}
	if cb, ok := avs[avChannelBindings]; ok && !allZero(cb) && bindingsHash != nil {
		if subtle.ConstantTimeCompare(cb, bindingsHash) != 1 {
			return nil, ErrBindings
		}
	}

	if h.a.keyLog != nil {
		h.a.keyLogMu.Lock()
		_, _ = fmt.Fprintf(h.a.keyLog, "NTLM %x %x\n", h.serverChallenge, exported)
		h.a.keyLogMu.Unlock()
	}
	sess, err := NewSession(flags, exported, Server)
	if err != nil {
		return nil, err
	}
	return &Result{User: user, Domain: domain, Workstation: ws, Flags: flags, Session: sess}, nil
}

// knownDomain accepts the domains a local account of this server may be
// given with: none, ".", the computer name, the domain names.
func (a *Acceptor) knownDomain(d string) bool {
	switch strings.ToUpper(d) {
	case "", ".", a.computer, a.domain, strings.ToUpper(a.dnsDomain), strings.ToUpper(a.dnsComputer):
		return true
	}
	return false
}

// NTOWFv1 is the NT hash: MD4 of the UTF-16LE password (MS-NLMP 3.3.1).
func NTOWFv1(password string) [16]byte {
	h := md4.New()
	h.Write(utf16le(password))
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// NTOWFv2 is HMAC_MD5(NT hash, UNICODE(Uppercase(user) + domain)) (MS-NLMP 3.3.2).
func NTOWFv2(ntHash [16]byte, user, domain string) []byte {
	return hmacMD5(ntHash[:], utf16le(strings.ToUpper(user)+domain))
}

// ChannelBindingsHash is the value a client puts in MsvAvChannelBindings for
// a TLS connection whose server certificate is certDER: MD5 of the
// gss_channel_bindings_struct carrying "tls-server-end-point:" and the
// certificate hash (RFC 5929; SHA-256 unless the certificate is signed with
// SHA-384 or SHA-512).
func ChannelBindingsHash(endPointHash []byte) []byte {
	app := append([]byte(chanbind.Prefix), endPointHash...)
	// Initiator and acceptor address types and lengths are zero.
	b := make([]byte, 16, 20+len(app))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(app)))
	b = append(b, app...)
	sum := md5.Sum(b)
	return sum[:]
}

func parseAVPairs(b []byte) (map[uint16][]byte, error) {
	out := map[uint16][]byte{}
	for len(b) >= 4 {
		id := binary.LittleEndian.Uint16(b)
		l := int(binary.LittleEndian.Uint16(b[2:]))
		if id == avEOL {
			return out, nil
		}
		if 4+l > len(b) {
			return nil, fmt.Errorf("%w (AV pair %d overruns the blob)", ErrMalformed, id)
		}
		out[id] = b[4 : 4+l]
		b = b[4+l:]
	}
	// Some clients end without MsvAvEOL; what was read is still usable.
	return out, nil
}

func putAV(b *bytes.Buffer, id uint16, v []byte) {
	var h [4]byte
	binary.LittleEndian.PutUint16(h[:], id)
	binary.LittleEndian.PutUint16(h[2:], uint16(len(v)))
	b.Write(h[:])
	b.Write(v)
}

func putField(b []byte, length, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(length))
	binary.LittleEndian.PutUint16(b[2:], uint16(length))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}

// fileTime is t in 100 ns intervals since 1601-01-01 UTC.
func fileTime(t time.Time) uint64 {
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	return uint64(t.UnixNano()/100) + epochDiff
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// oemCodePage is the OEM code page of the simulated host: 437, that of a
// US English Windows. OEM strings in NTLM messages are in the host's OEM
// code page (MS-NLMP 2.2.2.5, NTLM_NEGOTIATE_OEM).
var oemCodePage = charmap.CodePage437

func toOEM(s string) []byte {
	b, err := oemCodePage.NewEncoder().Bytes([]byte(s))
	if err != nil { // a name the code page cannot hold: send what it can
		return []byte(strings.ToValidUTF8(s, "?"))
	}
	return b
}

func fromOEM(b []byte) string {
	s, err := oemCodePage.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

func fromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func rc4Once(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key) // a 16-byte key is always valid
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
