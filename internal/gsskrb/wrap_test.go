package gsskrb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Known answers from MIT Kerberos 1.20 (Debian bookworm's libgssapi-krb5,
// through python3-gssapi): one context established against an MIT KDC
// with aes256-cts-hmac-sha1-96; the key is the context key MIT reports for
// GSS_C_INQ_SSPI_SESSION_KEY (the acceptor subkey: MIT's acceptor sends
// one, so every token has the AcceptorSubkey flag). gss_wrap tokens have RRC
// 0; the gss_wrap_iov token (header, data, padding: what pywinrm and
// Windows put in MS-WSMV framing) has RRC 28 and a 60-byte header.
const (
	katKey          = "3310d19cf3bf8fa436307a67e862071badfb5b3d8b2b52b15c8df6e00af4256e"
	katInitiatorSeq = 0x3b2f60c8
	katAcceptorSeq  = 0x205bf8c3
)

var katFromInitiator = []struct{ plain, token string }{
	{"<s:Envelope>first message</s:Envelope>", "050406ff00000000000000003b2f60c8a133376347d12295efbb607b204df02c9119e5dea47d95fe3b76192b4128b3a274e1a442fbec264d8d5af87fa27940df34c05a3ce75fb194a0ac0b2e157835cd561c3750a603269bc6f53d2c1f2d397061a5"},
	{"second, a little longer message with odd length!", "050406ff00000000000000003b2f60c90edc5f0431d37bd42fa211f037eb2647308e5008f82ad2da6a53afb852e2c5e621f32cbfe08d33a890e1823a86e9d14bfe3fd0bf2f6f3b279b609a39383dbd5f85d4a154050eb8d4d6572acaf6099734697ca71954ee5f471ba3f30c"},
}

var katFromAcceptor = []struct{ plain, token string }{
	{"<s:Envelope>first message</s:Envelope>", "050407ff0000000000000000205bf8c370f8f73b3eadda4e9fe7de3bda966f230e9cecf274d15de2e45dc02e99e7cb37ba0fb1765a94835e7faa4e1af0e3bb4164574e4070504a5641a36232274a6b64a1854eabe9a827e59b1b89c5fb61b9500fbe"},
	{"second, a little longer message with odd length!", "050407ff0000000000000000205bf8c4fdac87013362d9428a88bd44c01236139369ed832478789aff08efd6c69b0dacdb2c05a206454e005e4f309a7ee00e77823a72491ddd22cd92e382453652e5610bf52151eb9b03978249e9d688795f979e18179154e047afd4d413b5"},
}

const (
	katIOVPlain  = "<s:Envelope>iov message</s:Envelope>"
	katIOVHeader = "050406ff0000001c000000003b2f60ca45a22273bd890a7e08d6d2a8353c5a56d332471dd1c88000521320ac08d15537ccd2e87fa1d238fa22213821"
	katIOVData   = "93c85eaa5a24eb37053e437ed1073df8a6bb9e4853896638c5c40ea38c48cb22fff344c1"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func katContext(t *testing.T, initiator bool) *Context {
	t.Helper()
	send, recv := uint64(katAcceptorSeq), uint64(katInitiatorSeq)
	if initiator {
		send, recv = recv, send
	}
	c, err := NewContext(types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: unhex(t, katKey)}, initiator, true, send, recv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUnwrapMIT: tokens MIT sealed unwrap to their plaintext, in order, in
// the framing split (signature, rest) at any point.
func TestUnwrapMIT(t *testing.T) {
	acc := katContext(t, false)
	for i, m := range katFromInitiator {
		tok := unhex(t, m.token)
		split := headerLenMIT(t) - 1 + i // anywhere: Unwrap joins the parts
		got, err := acc.Unwrap(tok[split:], tok[:split])
		if err != nil {
			t.Fatalf("initiator token %d: %v", i, err)
		}
		if string(got) != m.plain {
			t.Fatalf("initiator token %d: %q, want %q", i, got, m.plain)
		}
	}
	got, err := acc.Unwrap(unhex(t, katIOVData), unhex(t, katIOVHeader))
	if err != nil || string(got) != katIOVPlain {
		t.Fatalf("IOV token: %q, %v", got, err)
	}
	ini := katContext(t, true)
	for i, m := range katFromAcceptor {
		got, err := ini.Unwrap(nil, unhex(t, m.token))
		if err != nil || string(got) != m.plain {
			t.Fatalf("acceptor token %d: %q, %v", i, got, err)
		}
	}
}

func headerLenMIT(t *testing.T) int {
	t.Helper()
	return len(unhex(t, katIOVHeader))
}

// TestWrapLayout: our tokens have MIT's gss_wrap_iov layout (the one
// MS-WSMV carries): same flags, EC 0, RRC 28, a 60-byte signature, the
// ciphertext as long as the message; and they unwrap on the other side.
func TestWrapLayout(t *testing.T) {
	ini, acc := katContext(t, true), katContext(t, false)
	sealed, sig, err := ini.Wrap([]byte(katIOVPlain))
	if err != nil {
		t.Fatal(err)
	}
	mit := unhex(t, katIOVHeader)
	if len(sig) != len(mit) || len(sig) != ini.HeaderLen() || len(sealed) != len(katIOVPlain) {
		t.Fatalf("signature %d bytes (MIT %d, HeaderLen %d), sealed %d bytes for %d", len(sig), len(mit), ini.HeaderLen(), len(sealed), len(katIOVPlain))
	}
	if !bytes.Equal(sig[:8], mit[:8]) {
		t.Errorf("header %x, MIT's %x", sig[:8], mit[:8])
	}
	if got, err := acc.Unwrap(sealed, sig); err != nil || string(got) != katIOVPlain {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if bytes.Contains(append(sig, sealed...), []byte("Envelope")) {
		t.Error("the plaintext shows in the token")
	}
}

// TestUnwrapRefuses: what an attacker on the path could try is refused.
func TestUnwrapRefuses(t *testing.T) {
	seal := func(c *Context, msg string) (sealed, sig []byte) {
		s, g, err := c.Wrap([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		return s, g
	}
	t.Run("tampered ciphertext", func(t *testing.T) {
		ini, acc := katContext(t, true), katContext(t, false)
		s, g := seal(ini, "Remove-Item C:\\important")
		s[3] ^= 1
		if _, err := acc.Unwrap(s, g); !errors.Is(err, ErrUnwrap) {
			t.Fatalf("tampered token: %v", err)
		}
	})
	t.Run("replayed", func(t *testing.T) {
		ini, acc := katContext(t, true), katContext(t, false)
		s, g := seal(ini, "one")
		if _, err := acc.Unwrap(s, g); err != nil {
			t.Fatal(err)
		}
		if _, err := acc.Unwrap(s, g); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("reflected", func(t *testing.T) {
		ini := katContext(t, true)
		s, g := seal(ini, "one")
		if _, err := katContext(t, true).Unwrap(s, g); err == nil || !strings.Contains(err.Error(), "reflected") {
			t.Fatalf("reflection: %v", err)
		}
	})
	// The header outside the encryption is authenticated only by the
	// encrypted copy (RFC 4121 4.2.4): a changed sequence number would
	// otherwise let a replay through.
	t.Run("header altered outside the encryption", func(t *testing.T) {
		ini, acc := katContext(t, true), katContext(t, false)
		s, g := seal(ini, "one")
		binary.BigEndian.PutUint64(g[8:16], binary.BigEndian.Uint64(g[8:16])+5)
		if _, err := acc.Unwrap(s, g); err == nil || !strings.Contains(err.Error(), "header copy differs") {
			t.Fatalf("altered header: %v", err)
		}
	})
	t.Run("acceptor subkey flag flipped", func(t *testing.T) {
		ini, acc := katContext(t, true), katContext(t, false)
		s, g := seal(ini, "one")
		g[2] ^= wrapAcceptorSubkey
		if _, err := acc.Unwrap(s, g); err == nil || !strings.Contains(err.Error(), "acceptor-subkey flag") {
			t.Fatalf("flipped flag: %v", err)
		}
	})
	t.Run("integrity only", func(t *testing.T) {
		tok := unhex(t, katFromInitiator[0].token)
		tok[2] &^= wrapSealed
		if _, err := katContext(t, false).Unwrap(nil, tok); err == nil || !strings.Contains(err.Error(), "not encrypted") {
			t.Fatalf("unsealed token: %v", err)
		}
	})
	t.Run("other key", func(t *testing.T) {
		other, err := NewContext(types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: make([]byte, 32)}, false, true, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Unwrap(nil, unhex(t, katFromInitiator[0].token)); !errors.Is(err, ErrUnwrap) {
			t.Fatalf("other key: %v", err)
		}
	})
	t.Run("rc4 session key", func(t *testing.T) {
		_, err := NewContext(types.EncryptionKey{KeyType: etypeID.RC4_HMAC, KeyValue: make([]byte, 16)}, true, false, 0, 0)
		if err == nil || !strings.Contains(err.Error(), "AES") {
			t.Fatalf("RC4: %v", err)
		}
	})
}

// TestWindowsFiller: tokens sealed as Windows seals them (EC 16, rotated
// by RRC+EC: a 76-byte signature) unwrap, and so do ours on a Windows-style
// peer; both directions of one context.
func TestWindowsFiller(t *testing.T) {
	key := types.EncryptionKey{KeyType: etypeID.AES128_CTS_HMAC_SHA1_96, KeyValue: unhex(t, "00112233445566778899aabbccddeeff")}
	win, err := NewContext(key, false, true, 7, 1000, WindowsFiller())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := NewContext(key, true, true, 1000, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"<s:Envelope>reply</s:Envelope>", strings.Repeat("z", 4097)} {
		sealed, sig, err := win.Wrap([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != 76 || len(sig) != win.HeaderLen() || len(sealed) != len(msg) || sig[5] != 16 || sig[7] != 28 {
			t.Fatalf("Windows-style token: %d-byte signature (HeaderLen %d), %d of %d bytes, header %x", len(sig), win.HeaderLen(), len(sealed), len(msg), sig[:8])
		}
		if got, err := cli.Unwrap(sealed, sig); err != nil || string(got) != msg {
			t.Fatalf("client reading a Windows-style token: %.20q %v", got, err)
		}
		s2, g2, err := cli.Wrap([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := win.Unwrap(s2, g2); err != nil || string(got) != msg {
			t.Fatalf("Windows-style side reading ours: %.20q %v", got, err)
		}
	}
}
