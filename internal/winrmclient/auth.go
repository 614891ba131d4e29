package winrmclient

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"

	"github.com/bodgit/ntlmssp"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
)

// mutualAuthorization announces authentication by TLS client certificate
// (WS-Management secprofile https/mutual), as masterzen's ClientAuthRequest
// sends it.
const mutualAuthorization = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// authScheme authenticates the client's exchanges. Basic and certificate
// authentication ride on every request; NTLM and Kerberos authenticate a
// connection once (a handshake) and its later requests carry no header.
type authScheme interface {
	connectionOriented() bool
	// handshake authenticates a fresh connection; it may set hc.sealer.
	handshake(ctx context.Context, c *Client, hc *hostConn, op string) error
	// authorize adds per-request credentials.
	authorize(h http.Header)
}

type basicAuth struct{ header string }

func (basicAuth) connectionOriented() bool                                    { return false }
func (basicAuth) handshake(context.Context, *Client, *hostConn, string) error { return nil }
func (b basicAuth) authorize(h http.Header)                                   { h.Set("Authorization", b.header) }
func newBasicAuth(user, pass string) basicAuth {
	return basicAuth{header: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

// certAuth is WS-Management's https/mutual profile: the TLS client
// certificate (in Client.tls) authenticates; the header only announces it.
type certAuth struct{}

func (certAuth) connectionOriented() bool                                    { return false }
func (certAuth) handshake(context.Context, *Client, *hostConn, string) error { return nil }
func (certAuth) authorize(h http.Header)                                     { h.Set("Authorization", mutualAuthorization) }

// ntlmAuth runs NTLMv2 (bodgit/ntlmssp, the library masterzen uses) once
// per connection. Over HTTP the session it establishes seals every message
// of that connection; a host that does not agree to sealing is refused, never
// talked to in clear.
type ntlmAuth struct{}

// NTLM negotiate flags checked in the host's CHALLENGE_MESSAGE.
const (
	ntlmFlagSign = 0x00000010
	ntlmFlagSeal = 0x00000020
)

func (ntlmAuth) connectionOriented() bool { return true }
func (ntlmAuth) authorize(http.Header)    {}

func (ntlmAuth) handshake(ctx context.Context, c *Client, hc *hostConn, op string) error {
	user, domain := splitUser(c.cfg.Username)
	nc, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, c.cfg.Password), ntlmssp.SetDomain(domain), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return c.errs.new(KindProtocol, op, "cannot start NTLM", "", scrub(err))
	}
	negotiate, err := nc.Authenticate(nil, nil)
	if err != nil {
		return c.errs.new(KindProtocol, op, "cannot build the NTLM NEGOTIATE message", "", scrub(err))
	}
	resp, err := c.handshakeLeg(ctx, hc, op, "Negotiate "+base64.StdEncoding.EncodeToString(negotiate))
	if err != nil {
		return err
	}
	if resp.status != http.StatusUnauthorized {
		return c.errs.handshakeStatus(op, resp.status, resp.header.Get("Content-Type"))
	}
	challenge, ok := negotiateToken(resp.header)
	if !ok || len(challenge) < 24 {
		e := c.errs.unauthorized(op, offeredSchemes(resp.header))
		e.Detail = "the host does not offer Negotiate (NTLM) authentication, so no credentials were sent"
		if offered := offeredSchemes(resp.header); len(offered) > 0 {
			e.Detail += " (it offers: " + strings.Join(offered, ", ") + ")"
		}
		return e
	}
	if flags := binary.LittleEndian.Uint32(challenge[20:24]); !c.cfg.HTTPS && flags&(ntlmFlagSeal|ntlmFlagSign) != ntlmFlagSeal|ntlmFlagSign {
		return c.errs.new(KindAuth, op, "the host did not agree to NTLM message encryption (sealing), so no credentials were sent",
			"Over plain HTTP every message must be encrypted; check the host's NTLM security policy (Network security: Minimum session security), or use https = true", nil)
	}
	var cbt *ntlmssp.ChannelBindings
	if hc.tls != nil && len(hc.tls.PeerCertificates) > 0 {
		cbt = channelBindings(hc.tls.PeerCertificates[0])
	}
	authenticate, err := nc.Authenticate(challenge, cbt)
	if err != nil {
		return c.errs.new(KindProtocol, op, "the host's NTLM CHALLENGE message is malformed", "The host is not a conforming WinRM service", scrub(err))
	}
	resp, err = c.handshakeLeg(ctx, hc, op, "Negotiate "+base64.StdEncoding.EncodeToString(authenticate))
	if err != nil {
		return err
	}
	switch resp.status {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return c.errs.rejected(op)
	default:
		return c.errs.handshakeStatus(op, resp.status, resp.header.Get("Content-Type"))
	}
	if !c.cfg.HTTPS {
		if nc.SecuritySession() == nil {
			return c.errs.new(KindProtocol, op, "NTLM established no session to encrypt messages with", "", nil)
		}
		hc.sealer = nc.SecuritySession()
	}
	return nil
}

// handshakeLeg sends one leg of a handshake: an empty POST with the token.
func (c *Client) handshakeLeg(ctx context.Context, hc *hostConn, op, authorization string) (*response, error) {
	req := c.newRequest(ctx)
	req.Header.Set("Authorization", authorization)
	c.stats.exchanges.Add(1)
	resp, err := hc.roundTrip(ctx, req, nil, c.readTimeout)
	if err != nil {
		return nil, c.errs.transportErr(op, ctx, err)
	}
	return resp, nil
}

// negotiateToken returns the token of a "WWW-Authenticate: Negotiate <b64>".
func negotiateToken(h http.Header) ([]byte, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		name, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || !strings.EqualFold(name, "Negotiate") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok))
		return b, err == nil
	}
	return nil, false
}

// splitUser splits DOMAIN\user; a user@domain principal name is passed whole
// with no domain, as Windows clients do.
func splitUser(u string) (user, domain string) {
	if d, n, ok := strings.Cut(u, `\`); ok {
		return n, d
	}
	return u, ""
}

// channelBindings are the TLS channel bindings (tls-server-end-point, RFC
// 5929) that tie the NTLM authentication to this TLS connection, which a
// host with CbtHardeningLevel Strict requires.
func channelBindings(cert *x509.Certificate) *ntlmssp.ChannelBindings {
	return &ntlmssp.ChannelBindings{ApplicationData: chanbind.ApplicationData(cert)}
}
