// Package chanbind computes the TLS channel bindings of RFC 5929
// (tls-server-end-point), which tie an NTLM authentication to the TLS
// connection it travels on. The client sends them and the simulator checks
// them, so both take them from here.
package chanbind

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
)

// Prefix starts the application data of tls-server-end-point bindings.
const Prefix = "tls-server-end-point:"

// EndPointHash hashes the server certificate with the hash of its signature
// algorithm, SHA-256 for MD5, SHA-1 and SHA-256 (RFC 5929 section 4.1).
func EndPointHash(cert *x509.Certificate) []byte {
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h := sha512.Sum384(cert.Raw)
		return h[:]
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h := sha512.Sum512(cert.Raw)
		return h[:]
	}
	h := sha256.Sum256(cert.Raw)
	return h[:]
}

// ApplicationData is the application data of the bindings for cert.
func ApplicationData(cert *x509.Certificate) []byte {
	return append([]byte(Prefix), EndPointHash(cert)...)
}
