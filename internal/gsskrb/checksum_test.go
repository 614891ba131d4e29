package gsskrb

import (
	"encoding/hex"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
)

func TestBindingsHash(t *testing.T) {
	// MD5 of the gss_channel_bindings_struct (RFC 2744 3.11) as Python's
	// struct.pack('<IIIII', 0, 0, 0, 0, len(d)) + d packs it, which is how
	// pyspnego's GssChannelBindings and MIT's krb5 lay it out.
	app := append([]byte("tls-server-end-point:"), make([]byte, 32)...)
	for i := range 32 {
		app[21+i] = byte(i)
	}
	got := BindingsHash(app)
	if h := hex.EncodeToString(got[:]); h != "8f1214c9c9cab8dc3bf866da9aba57a7" {
		t.Errorf("BindingsHash = %s", h)
	}
}

func TestChecksumRoundTrip(t *testing.T) {
	for _, c := range []Checksum{
		{Flags: FlagMutual | FlagConf | FlagInteg | FlagSequence | FlagReplay},
		{Flags: FlagMutual, Bindings: BindingsHash([]byte("tls-server-end-point:x"))},
	} {
		m := c.Marshal()
		if m.CksumType != 0x8003 || len(m.Checksum) != 24 {
			t.Fatalf("marshalled %+v", m)
		}
		got, err := ParseChecksum(m)
		if err != nil || got != c {
			t.Fatalf("round trip %+v -> %+v, %v", c, got, err)
		}
		if got.HasBindings() != (c.Bindings != [16]byte{}) {
			t.Errorf("HasBindings = %t", got.HasBindings())
		}
	}
	if _, err := ParseChecksum(types.Checksum{CksumType: 16, Checksum: make([]byte, 24)}); err == nil {
		t.Error("a checksum of another type was accepted")
	}
	if _, err := ParseChecksum(types.Checksum{CksumType: 0x8003, Checksum: make([]byte, 10)}); err == nil {
		t.Error("a short checksum was accepted")
	}
}
