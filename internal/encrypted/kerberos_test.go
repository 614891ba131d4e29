package encrypted

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/dp-tools/terraform-provider-iis/internal/gsskrb"
)

// labelled is a Kerberos context set up with the HTTP "Kerberos" scheme.
type labelled struct{ *gsskrb.Context }

func (labelled) Protocol() string { return ProtocolKerberos }

func krbPair(t *testing.T) (client, server *gsskrb.Context) {
	t.Helper()
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: bytes.Repeat([]byte{7}, 32)}
	c, err := gsskrb.NewContext(key, true, true, 100, 900)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := gsskrb.NewContext(key, false, true, 900, 100)
	return c, s
}

// TestKerberosFraming: Kerberos tokens travel with their 60-byte header
// as the signature, the ciphertext as long as the message; the protocol
// label follows the HTTP scheme that set the context up, and a body
// labelled for another scheme is refused (WinRM answers such a body 400).
func TestKerberosFraming(t *testing.T) {
	const ot = "application/soap+xml;charset=UTF-8"
	body := "<s:Envelope>" + strings.Repeat("--Encrypted Boundary--\r\n", 100) + "</s:Envelope>"
	for _, tc := range []struct {
		name     string
		wrap     func(c *gsskrb.Context) Wrapper
		unwrap   func(s *gsskrb.Context) Unwrapper
		protocol string
		refused  bool
	}{
		{"Negotiate", func(c *gsskrb.Context) Wrapper { return c }, func(s *gsskrb.Context) Unwrapper { return s }, Protocol, false},
		{"Kerberos scheme", func(c *gsskrb.Context) Wrapper { return labelled{c} }, func(s *gsskrb.Context) Unwrapper { return labelled{s} }, ProtocolKerberos, false},
		{"Kerberos label on a Negotiate context", func(c *gsskrb.Context) Wrapper { return labelled{c} }, func(s *gsskrb.Context) Unwrapper { return s }, ProtocolKerberos, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := krbPair(t)
			framed, err := Encode(tc.wrap(c), []byte(body), ot)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(framed, []byte("\tContent-Type: "+tc.protocol+"\r\n")) || !bytes.Contains(framed, []byte("octet-stream\r\n<\x00\x00\x00")) {
				t.Errorf("framing: %q", framed[:200])
			}
			if !Is(ContentTypeOf(tc.wrap(c))) || !strings.Contains(ContentTypeOf(tc.wrap(c)), `protocol="`+tc.protocol+`"`) {
				t.Errorf("content type %q", ContentTypeOf(tc.wrap(c)))
			}
			plain, typ, err := Decode(tc.unwrap(s), framed)
			if tc.refused {
				if !errors.Is(err, ErrFraming) {
					t.Fatalf("a body labelled %s was accepted: %v", tc.protocol, err)
				}
				return
			}
			if err != nil || string(plain) != body || typ != ot {
				t.Fatalf("Decode: %.40q %q %v", plain, typ, err)
			}
		})
	}
}
