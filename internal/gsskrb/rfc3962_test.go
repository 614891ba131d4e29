package gsskrb

import (
	"encoding/hex"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// TestRFC3962CTS pins the AES-CTS primitive Wrap relies on (through
// gokrb5's etype, the path Wrap takes) to RFC 3962 Appendix B: key
// "chicken teriyaki", IV zero. RFC 4121 itself has no Wrap-token vectors:
// wrap_test.go checks against MIT's tokens instead.
func TestRFC3962CTS(t *testing.T) {
	et, err := crypto.GetEtype(etypeID.AES128_CTS_HMAC_SHA1_96)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("chicken teriyaki")
	for _, v := range []struct{ in, out string }{
		{"4920776f756c64206c696b652074686520", "c6353568f2bf8cb4d8a580362da7ff7f97"},
		{"4920776f756c64206c696b65207468652047656e6572616c20476175277320", "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
	} {
		_, got, err := et.EncryptData(key, unhex(t, v.in))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != v.out {
			t.Errorf("AES-CTS(%s) = %x, want %s", v.in, got, v.out)
		}
	}
}
