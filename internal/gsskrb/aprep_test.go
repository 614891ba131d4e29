package gsskrb

import (
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"
)

func TestAPRepRoundTrip(t *testing.T) {
	key := types.EncryptionKey{KeyType: etypeID.AES128_CTS_HMAC_SHA1_96, KeyValue: []byte("0123456789abcdef")}
	sub := types.EncryptionKey{KeyType: etypeID.AES128_CTS_HMAC_SHA1_96, KeyValue: []byte("fedcba9876543210")}
	auth, err := types.NewAuthenticator("EXAMPLE.TEST", types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "u"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalAPRep(key, auth.CTime, auth.Cusec, sub, 77)
	if err != nil {
		t.Fatal(err)
	}
	part, err := VerifyAPRep(b, key, auth)
	if err != nil {
		t.Fatal(err)
	}
	if part.SequenceNumber != 77 || string(part.Subkey.KeyValue) != string(sub.KeyValue) || part.Subkey.KeyType != sub.KeyType {
		t.Errorf("EncAPRepPart %+v", part)
	}
	other := auth
	other.Cusec = (auth.Cusec + 1) % 1000000
	if _, err := VerifyAPRep(b, key, other); !errors.Is(err, ErrAPRepForged) {
		t.Errorf("an AP-REP for another authenticator: %v", err)
	}
	wrong := types.EncryptionKey{KeyType: key.KeyType, KeyValue: []byte("0123456789abcdeX")}
	if _, err := VerifyAPRep(b, wrong, auth); !errors.Is(err, ErrAPRepForged) {
		t.Errorf("an AP-REP under another key: %v", err)
	}
	if _, err := VerifyAPRep([]byte{0x6f, 0x03, 1, 2, 3}, key, auth); err == nil {
		t.Error("garbage accepted")
	}
}
