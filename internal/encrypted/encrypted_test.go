package encrypted

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

func pair(t *testing.T) (client, server *ntlm.Session) {
	t.Helper()
	key := bytes.Repeat([]byte{0x42}, 16)
	flags := ntlm.FlagExtendedSessionSecurity | ntlm.FlagSeal | ntlm.FlagSign | ntlm.Flag128 | ntlm.FlagKeyExch | ntlm.FlagUnicode
	c, err := ntlm.NewSession(flags, key, ntlm.Client)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ntlm.NewSession(flags, key, ntlm.Server)
	return c, s
}

func TestRoundTrip(t *testing.T) {
	c, s := pair(t)
	const ot = "application/soap+xml;charset=UTF-8"
	for _, body := range []string{"<s:Envelope/>", "x", strings.Repeat("--Encrypted Boundary\r\n", 500)} {
		framed, err := Encode(c, []byte(body), ot)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(framed, []byte("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type="+ot+";Length=")) ||
			!bytes.HasSuffix(framed, []byte("--Encrypted Boundary--\r\n")) {
			t.Errorf("framing: %q", framed[:120])
		}
		plain, typ, err := Decode(s, framed)
		if err != nil || string(plain) != body || typ != ot {
			t.Fatalf("Decode: %q %q %v", plain, typ, err)
		}
	}
	if !Is(ContentType) || Is("application/soap+xml;charset=UTF-8") || Is(`multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted"`) {
		t.Error("Is")
	}
}

func TestDecodeRejects(t *testing.T) {
	c, s := pair(t)
	good, _ := Encode(c, []byte("<s:Envelope>hello</s:Envelope>"), "application/soap+xml;charset=UTF-8")
	for _, tc := range []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, ErrFraming},
		{"plain XML", []byte("<s:Envelope/>"), ErrFraming},
		{"truncated", good[:len(good)-40], ErrFraming},
		{"flipped ciphertext", func() []byte {
			b := bytes.Clone(good)
			b[len(b)-30] ^= 1
			return b
		}(), ntlm.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s = pair(t)
			if _, _, err := Decode(s, tc.body); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
