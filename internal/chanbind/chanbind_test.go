package chanbind

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"testing"
)

func TestEndPointHash(t *testing.T) {
	raw := []byte("a certificate's DER bytes")
	s256, s384, s512 := sha256.Sum256(raw), sha512.Sum384(raw), sha512.Sum512(raw)
	for _, tc := range []struct {
		alg  x509.SignatureAlgorithm
		want []byte
	}{
		{x509.MD5WithRSA, s256[:]}, // MD5 and SHA-1 are raised to SHA-256
		{x509.SHA1WithRSA, s256[:]},
		{x509.SHA256WithRSA, s256[:]},
		{x509.ECDSAWithSHA256, s256[:]},
		{x509.SHA384WithRSA, s384[:]},
		{x509.ECDSAWithSHA384, s384[:]},
		{x509.SHA384WithRSAPSS, s384[:]},
		{x509.SHA512WithRSA, s512[:]},
		{x509.ECDSAWithSHA512, s512[:]},
		{x509.SHA512WithRSAPSS, s512[:]},
	} {
		cert := &x509.Certificate{SignatureAlgorithm: tc.alg, Raw: raw}
		if got := EndPointHash(cert); !bytes.Equal(got, tc.want) {
			t.Errorf("%v: hash of %d bytes, want the %d-byte one", tc.alg, len(got), len(tc.want))
		}
		if got := ApplicationData(cert); !bytes.Equal(got, append([]byte("tls-server-end-point:"), tc.want...)) {
			t.Errorf("%v: application data %q", tc.alg, got)
		}
	}
}
