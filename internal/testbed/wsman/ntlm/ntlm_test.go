package ntlm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The NTLMv2 example of MS-NLMP 4.2.4: user "User", domain "Domain",
// password "Password", server challenge 0123456789abcdef, client challenge
// aa*8, time 0, random session key 55*16, flags e28a8233.
const (
	specServerChallenge = "0123456789abcdef"
	specNTOWFv2         = "0c868a403bfd7a93a3001ef22ef02e3f"
	specNTProofStr      = "68cd0ab851e51c96aabc927bebef6a1c"
	specSessionBaseKey  = "8de40ccadbc14a82f15cb0ad0de95ca3"
	specEncryptedKey    = "c5dad2544fc9799094ce1ce90bc9d03e"
	specFlags           = 0xe28a8233
	// temp: the client blob, with NbDomainName "Domain" and NbComputerName
	// "Server" as the AV pairs.
	specTemp = "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000" +
		"02000c0044006f006d00610069006e00 01000c005300650072007600650072000000000000000000"
	// 4.2.4.4: "Plaintext" in UTF-16LE, sealed by the client with sequence
	// number 0.
	specPlaintext = "50006c00610069006e007400650078007400"
	specSealed    = "54e50165bf1936dc996020c1811b0f06fb5f"
	specSignature = "010000007fb38ec5c55d497600000000"
)

func TestNTOWFv2KnownAnswer(t *testing.T) {
	got := NTOWFv2(NTOWFv1("Password"), "User", "Domain")
	if hex.EncodeToString(got) != specNTOWFv2 {
		t.Errorf("NTOWFv2 = %x, want %s", got, specNTOWFv2)
	}
	proof := hmacMD5(got, unhex(t, specServerChallenge), unhex(t, specTemp))
	if hex.EncodeToString(proof) != specNTProofStr {
		t.Errorf("NTProofStr = %x, want %s", proof, specNTProofStr)
	}
	if base := hmacMD5(got, proof); hex.EncodeToString(base) != specSessionBaseKey {
		t.Errorf("SessionBaseKey = %x, want %s", base, specSessionBaseKey)
	}
	if enc := rc4Once(unhex(t, specSessionBaseKey), bytes.Repeat([]byte{0x55}, 16)); hex.EncodeToString(enc) != specEncryptedKey {
		t.Errorf("EncryptedRandomSessionKey = %x, want %s", enc, specEncryptedKey)
	}
}

func TestSealKnownAnswer(t *testing.T) {
	c, err := NewSession(specFlags, bytes.Repeat([]byte{0x55}, 16), Client)
	if err != nil {
		t.Fatal(err)
	}
	sealed, sig, err := c.Wrap(unhex(t, specPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sealed) != specSealed || hex.EncodeToString(sig) != specSignature {
		t.Errorf("sealed %x sig %x, want %s %s", sealed, sig, specSealed, specSignature)
	}
	s, _ := NewSession(specFlags, bytes.Repeat([]byte{0x55}, 16), Server)
	plain, err := s.Unwrap(sealed, sig)
	if err != nil || !bytes.Equal(plain, unhex(t, specPlaintext)) {
		t.Errorf("server Unwrap = %x, %v", plain, err)
	}
}

// authenticateMessage builds an AUTHENTICATE_MESSAGE with a VERSION and,
// when mic is not nil, a MIC field.
func authenticateMessage(flags uint32, lm, nt []byte, domain, user, ws string, encKey []byte) []byte {
	enc := utf16le
	if flags&FlagUnicode == 0 {
		enc = toOEM
	}
	const fixed = 72 // no MIC
	m := make([]byte, fixed, fixed+64)
	copy(m, signature)
	binary.LittleEndian.PutUint32(m[8:], 3)
	off := fixed
	var payload []byte
	for _, f := range []struct {
		at int
		b  []byte
	}{{28, enc(domain)}, {36, enc(user)}, {44, enc(ws)}, {12, lm}, {20, nt}, {52, encKey}} {
		putField(m[f.at:], len(f.b), off)
		off += len(f.b)
		payload = append(payload, f.b...)
	}
	binary.LittleEndian.PutUint32(m[60:], flags)
	copy(m[64:72], windowsVersion)
	return append(m[:fixed:fixed], payload...)
}

// TestAcceptKnownAnswer runs the whole acceptor on the MS-NLMP example: the
// proof verifies, the exported key is the example's random session key, and
// the session unseals the example's sealed message.
func TestAcceptKnownAnswer(t *testing.T) {
	var keyLog bytes.Buffer
	a := NewAcceptor(Config{
		Users: map[string]string{"user": "Password"}, ComputerName: "Server", DomainName: "Domain",
		Rand: bytes.NewReader(unhex(t, specServerChallenge)), KeyLog: &keyLog,
	})
	neg := make([]byte, 32)
	copy(neg, signature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], specFlags)
	h, chal, err := a.Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(chal[24:32], unhex(t, specServerChallenge)) {
		t.Fatalf("challenge carries %x", chal[24:32])
	}
	nt := append(unhex(t, specNTProofStr), unhex(t, specTemp)...)
	lm := unhex(t, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
	auth := authenticateMessage(specFlags, lm, nt, "Domain", "User", "COMPUTER", unhex(t, specEncryptedKey))
	res, err := h.Accept(auth, nil)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if res.User != "User" || res.Domain != "Domain" || res.Workstation != "COMPUTER" {
		t.Errorf("identity %+v", res)
	}
	if want := "NTLM " + specServerChallenge + " " + strings.Repeat("55", 16) + "\n"; keyLog.String() != want {
		t.Errorf("key log %q, want %q", keyLog.String(), want)
	}
	plain, err := res.Session.Unwrap(unhex(t, specSealed), unhex(t, specSignature))
	if err != nil || !bytes.Equal(plain, unhex(t, specPlaintext)) {
		t.Errorf("Unwrap = %x, %v", plain, err)
	}

	// The same message with one bit of the proof changed is a wrong password.
	h2, _, _ := NewAcceptor(Config{Users: map[string]string{"User": "Password"}, DomainName: "Domain",
		Rand: bytes.NewReader(unhex(t, specServerChallenge))}).Challenge(neg)
	nt[3] ^= 1
	if _, err := h2.Accept(authenticateMessage(specFlags, lm, nt, "Domain", "User", "COMPUTER", unhex(t, specEncryptedKey)), nil); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("tampered proof: %v, want ErrWrongPassword", err)
	}
}

// handshake runs bodgit's client (what the WinRM client uses) against the
// acceptor and returns both ends.
func handshake(t *testing.T, a *Acceptor, user, domain, pass string, cb *ntlmssp.ChannelBindings, cbHash []byte) (*ntlmssp.Client, *Result, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, pass), ntlmssp.SetDomain(domain), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		t.Fatal(err)
	}
	neg, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, chal, err := a.Challenge(neg)
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	auth, err := c.Authenticate(chal, cb)
	if err != nil {
		t.Fatalf("client rejects our challenge: %v", err)
	}
	res, err := h.Accept(auth, cbHash)
	return c, res, err
}

func TestInteropWithClient(t *testing.T) {
	a := NewAcceptor(Config{Users: map[string]string{"tf-acc": "acc-Passw0rd!"}, ComputerName: "DP01"})
	c, res, err := handshake(t, a, "TF-ACC", "", "acc-Passw0rd!", nil, nil)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if !res.Session.Sealing() || res.Flags&FlagKeyExch == 0 {
		t.Errorf("flags %#x: want sealing with key exchange", res.Flags)
	}
	cs := c.SecuritySession()
	// Several messages each way: the RC4 state and sequence numbers run on.
	for i, msg := range []string{"<s:Envelope>first</s:Envelope>", "second", strings.Repeat("x", 70000)} {
		sealed, sig, err := cs.Wrap([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte(msg[:5])) && len(msg) > 5 {
			t.Errorf("message %d not sealed", i)
		}
		plain, err := res.Session.Unwrap(sealed, sig)
		if err != nil || string(plain) != msg {
			t.Fatalf("server Unwrap %d: %v", i, err)
		}
		reply := "reply " + msg
		sealed, sig, err = res.Session.Wrap([]byte(reply))
		if err != nil {
			t.Fatal(err)
		}
		got, err := cs.Unwrap(sealed, sig)
		if err != nil || string(got) != reply {
			t.Fatalf("client Unwrap %d: %v", i, err)
		}
	}
	// A replayed message fails (sequence number), and breaks the session.
	sealed, sig, _ := cs.Wrap([]byte("once"))
	if _, err := res.Session.Unwrap(sealed, sig); err != nil {
		t.Fatal(err)
	}
	if _, err := res.Session.Unwrap(sealed, sig); !errors.Is(err, ErrSignature) {
		t.Errorf("replay: %v, want ErrSignature", err)
	}
}

func TestAcceptFailures(t *testing.T) {
	end := bytes.Repeat([]byte{7}, 32)
	good := ChannelBindingsHash(end)
	cb := &ntlmssp.ChannelBindings{ApplicationData: append([]byte(chanbind.Prefix), end...)}
	for _, tc := range []struct {
		name               string
		user, domain, pass string
		cb                 *ntlmssp.ChannelBindings
		cbHash             []byte
		want               error
	}{
		{"wrong password", "tf-acc", "", "nope", nil, nil, ErrWrongPassword},
		{"unknown user", "someone", "", "acc-Passw0rd!", nil, nil, ErrUnknownUser},
		{"foreign domain", "tf-acc", "OTHERDOM", "acc-Passw0rd!", nil, nil, ErrUnknownUser},
		{"computer name as domain", "tf-acc", "dp01", "acc-Passw0rd!", nil, nil, nil},
		{"matching channel bindings", "tf-acc", "", "acc-Passw0rd!", cb, good, nil},
		{"no bindings sent (Relaxed)", "tf-acc", "", "acc-Passw0rd!", nil, good, nil},
		{"bindings of another certificate", "tf-acc", "", "acc-Passw0rd!", cb, ChannelBindingsHash([]byte("other")), ErrBindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAcceptor(Config{Users: map[string]string{"tf-acc": "acc-Passw0rd!"}, ComputerName: "DP01"})
			_, _, err := handshake(t, a, tc.user, tc.domain, tc.pass, tc.cb, tc.cbHash)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "acc-Passw0rd!") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestMICTampering: a MIC that does not cover the messages exchanged is
// refused (a man in the middle that changed the negotiated flags).
func TestMICTampering(t *testing.T) {
	a := NewAcceptor(Config{Users: map[string]string{"u": "p"}, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("u", "p"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := c.Authenticate(nil, nil)
	h, chal, err := a.Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(chal, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth[75] ^= 0xff // inside the MIC
	if _, err := h.Accept(auth, nil); !errors.Is(err, ErrMIC) {
		t.Errorf("err = %v, want ErrMIC", err)
	}
}

func TestMalformed(t *testing.T) {
	a := NewAcceptor(Config{Users: map[string]string{"u": "p"}})
	for _, b := range [][]byte{nil, []byte("NTLMSSP\x00"), []byte("garbage garbage garbage"), append(append([]byte{}, signature...), 3, 0, 0, 0)} {
		if _, _, err := a.Challenge(b); err == nil {
			t.Errorf("Challenge(%q) accepted", b)
		}
	}
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("u", "p"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := c.Authenticate(nil, nil)
	h, _, _ := a.Challenge(neg)
	// Field offsets that point outside the message must not panic.
	bad := authenticateMessage(FlagUnicode|FlagExtendedSessionSecurity, nil, bytes.Repeat([]byte{1}, 60), "", "u", "", nil)
	binary.LittleEndian.PutUint32(bad[24:], 1<<30)
	if _, err := h.Accept(bad, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("out-of-range field: %v", err)
	}
	if _, err := h.Accept(bad[:40], nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("short message: %v", err)
	}
}

// TestCharacterSets follows MS-NLMP 2.2.2.5: a NEGOTIATE with UNICODE gets
// Unicode, one with only OEM (pywinrm's requests-ntlm) gets OEM strings and
// its AUTHENTICATE is accepted, one with neither is refused.
func TestCharacterSets(t *testing.T) {
	for _, tc := range []struct {
		name       string
		flags      uint32
		wantFlag   uint32 // the character-set flag of the CHALLENGE
		wantTarget []byte
		refused    bool
	}{
		{"unicode", specFlags, FlagUnicode, utf16le("DOMAIN"), false},
		{"unicode and oem", specFlags | FlagOEM, FlagUnicode, utf16le("DOMAIN"), false},
		{"oem only", specFlags&^FlagUnicode | FlagOEM, FlagOEM, []byte("DOMAIN"), false},
		{"neither", specFlags &^ (FlagUnicode | FlagOEM), 0, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAcceptor(Config{Users: map[string]string{"user": "Password"}, ComputerName: "Server", DomainName: "Domain",
				Rand: bytes.NewReader(unhex(t, specServerChallenge))})
			neg := make([]byte, 32)
			copy(neg, signature)
			binary.LittleEndian.PutUint32(neg[8:], 1)
			binary.LittleEndian.PutUint32(neg[12:], tc.flags)
			h, chal, err := a.Challenge(neg)
			if tc.refused {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("Challenge = %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := binary.LittleEndian.Uint32(chal[20:24]) & (FlagUnicode | FlagOEM)
			if got != tc.wantFlag {
				t.Errorf("challenge character set flags %#x, want %#x", got, tc.wantFlag)
			}
			tl, to := binary.LittleEndian.Uint16(chal[12:]), binary.LittleEndian.Uint32(chal[16:])
			if target := chal[to : to+uint32(tl)]; !bytes.Equal(target, tc.wantTarget) {
				t.Errorf("TargetName %x, want %x", target, tc.wantTarget)
			}
			// The AUTHENTICATE in the negotiated character set verifies:
			// NTOWFv2 is over Unicode whatever the strings travel in.
			authFlags := specFlags&^(FlagUnicode|FlagOEM) | tc.wantFlag
			nt := append(unhex(t, specNTProofStr), unhex(t, specTemp)...)
			res, err := h.Accept(authenticateMessage(authFlags, nil, nt, "Domain", "User", "COMPUTER", unhex(t, specEncryptedKey)), nil)
			if err != nil {
				t.Fatalf("Accept: %v", err)
			}
			if res.User != "User" || res.Domain != "Domain" || res.Workstation != "COMPUTER" {
				t.Errorf("identity %+v", res)
			}
		})
	}
}
