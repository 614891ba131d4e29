// Package gsskrb holds the pieces of the Kerberos V5 GSS-API mechanism
// (RFC 4121) that gokrb5 v8 lacks and that both the WinRM client and the
// DP simulator need: the authenticator checksum with channel bindings
// (RFC 4121 4.1.1), the AP-REP of mutual authentication (RFC 4120 5.5.2,
// which gokrb5 can parse but neither build nor verify), the GSS and SPNEGO
// framing of the context tokens (RFC 2743 3.1, RFC 4178), and Wrap tokens
// with confidentiality (RFC 4121 4.2.4, 4.2.6.2; gokrb5's gssapi.WrapToken
// only has the integrity-only form).
//
// Everything cryptographic is gokrb5's (key derivation, AES-CTS, HMAC);
// only the token layouts are written here.
package gsskrb
