package wsman

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MutualAuthorization is the Authorization value of a client authenticating
// with its TLS client certificate (WS-Management secprofile https/mutual).
const MutualAuthorization = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// CertMapping maps client certificates to a local user, like an entry of
// winrm/config/service/certmapping: certificates issued by Issuer whose
// subject matches Subject (a user principal name from the certificate's
// subject alternative names, its common name, or "*") log on as User.
type CertMapping struct {
	Issuer  *x509.Certificate
	Subject string
	User    string
}

// CertScheme authenticates requests that carry MutualAuthorization over a
// TLS connection with a client certificate that a mapping accepts. The
// listener must request client certificates (tls.RequestClientCert).
type CertScheme struct{ mappings []CertMapping }

// NewCertScheme returns the scheme for mappings.
func NewCertScheme(mappings ...CertMapping) *CertScheme { return &CertScheme{mappings: mappings} }

func (s *CertScheme) Name() string { return "Certificate" }

// Offer is empty: Windows does not advertise certificate authentication.
func (s *CertScheme) Offer(*http.Request) []string { return nil }

func (s *CertScheme) Authenticate(r *http.Request, _ *Conn) Outcome {
	if strings.TrimSpace(r.Header.Get("Authorization")) != MutualAuthorization {
		return Outcome{}
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return Outcome{Mine: true, Err: errors.New("certificate authentication without a client certificate (it needs HTTPS and a certificate)")}
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	names := subjectNames(leaf)
	for _, m := range s.mappings {
		roots := x509.NewCertPool()
		roots.AddCert(m.Issuer)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			continue
		}
		for _, n := range names {
			if m.Subject == "*" || strings.EqualFold(m.Subject, n) {
				return Outcome{Mine: true, User: m.User}
			}
		}
	}
	return Outcome{Mine: true, Err: fmt.Errorf("no certificate mapping for the client certificate %q (issuer %q)", leaf.Subject.String(), leaf.Issuer.String())}
}

// oidUPN is the otherName type of a Microsoft user principal name.
var (
	oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidUPN = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// subjectNames lists the names a mapping's Subject may match: the UPNs in
// the subject alternative names, then the common name.
func subjectNames(c *x509.Certificate) []string {
	var out []string
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidSAN) {
			out = append(out, upns(ext.Value)...)
		}
	}
	if c.Subject.CommonName != "" {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

// otherName is the OtherName choice of GeneralName (RFC 5280).
// Value is the [0] EXPLICIT wrapper; its Bytes hold the inner UTF8String.
type otherName struct {
	TypeID asn1.ObjectIdentifier
	Value  asn1.RawValue
}

// upns extracts otherName UPNs from a SubjectAltName extension value; the
// standard library parses the other GeneralName kinds but not otherName.
func upns(der []byte) []string {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return nil
	}
	var out []string
	b := seq.Bytes
	for len(b) > 0 {
		var gn asn1.RawValue
		rest, err := asn1.Unmarshal(b, &gn)
		if err != nil {
			return out
		}
		b = rest
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 {
			continue
		}
		var on otherName
		if _, err := asn1.UnmarshalWithParams(gn.FullBytes, &on, "tag:0"); err != nil || !on.TypeID.Equal(oidUPN) {
			continue
		}
		var upn string
		if on.Value.Class != asn1.ClassContextSpecific || on.Value.Tag != 0 {
			continue
		}
		if _, err := asn1.UnmarshalWithParams(on.Value.Bytes, &upn, "utf8"); err == nil {
			out = append(out, upn)
		}
	}
	return out
}

// UPNExtension builds a SubjectAltName extension holding the user principal
// name upn, for client certificates that Windows certificate mapping (and
// CertScheme) accepts.
func UPNExtension(upn string) (ext []byte, err error) {
	val, err := asn1.MarshalWithParams(upn, "utf8")
	if err != nil {
		return nil, err
	}
	on, err := asn1.MarshalWithParams(otherName{
		TypeID: oidUPN,
		Value:  asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: val},
	}, "tag:0")
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: on})
}
