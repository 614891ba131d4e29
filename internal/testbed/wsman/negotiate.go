package wsman

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
)

var (
	errWrongCredentials = errors.New("wrong user name or password")
	errNoConnState      = errors.New("connection-oriented authentication needs Server.ConnContext installed on the http.Server")
)

// NTLMScheme accepts `Authorization: Negotiate` with raw NTLMSSP tokens:
// NEGOTIATE is answered with a 401 carrying the CHALLENGE, AUTHENTICATE
// authenticates the connection, and the session it establishes seals the
// connection's later message bodies (multipart/encrypted), as a Windows
// host with Negotiate enabled does.
type NTLMScheme struct {
	acceptor *ntlm.Acceptor
	bindings []byte // expected MsvAvChannelBindings over TLS; nil: not checked
}

// NewNTLMScheme returns the scheme for the accounts of cfg.
func NewNTLMScheme(cfg ntlm.Config) *NTLMScheme {
	return &NTLMScheme{acceptor: ntlm.NewAcceptor(cfg)}
}

// CheckChannelBindings makes the scheme refuse, over TLS, clients whose
// channel bindings name a certificate other than cert (the listener's).
// Clients that send none are accepted (CbtHardeningLevel "Relaxed").
func (n *NTLMScheme) CheckChannelBindings(cert *x509.Certificate) {
	n.bindings = ntlm.ChannelBindingsHash(chanbind.EndPointHash(cert))
}

func (n *NTLMScheme) Name() string                 { return "NTLM" }
func (n *NTLMScheme) Offer(*http.Request) []string { return []string{"Negotiate"} }

func (n *NTLMScheme) Authenticate(r *http.Request, c *Conn) Outcome {
	prefix := "Negotiate"
	tok, ok := authorizationToken(r, prefix)
	if !ok {
		prefix = "NTLM"
		if tok, ok = authorizationToken(r, prefix); !ok {
			return Outcome{}
		}
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || !ntlm.IsNTLM(raw) {
		return Outcome{} // SPNEGO: Kerberos's, if configured
	}
	if c == nil {
		return Outcome{Mine: true, Err: errNoConnState}
	}
	switch ntlm.MessageType(raw) {
	case 1:
		h, chal, err := n.acceptor.Challenge(raw)
		if err != nil {
			return Outcome{Mine: true, Err: err}
		}
		c.SetHandshake(h)
		return Outcome{Mine: true, Continue: prefix + " " + base64.StdEncoding.EncodeToString(chal)}
	case 3:
		h, _ := c.Handshake().(*ntlm.Handshake)
		c.SetHandshake(nil)
		if h == nil {
			return Outcome{Mine: true, Err: errors.New("NTLM AUTHENTICATE without a CHALLENGE on this connection")}
		}
		var cb []byte
		if r.TLS != nil {
			cb = n.bindings
		}
		res, err := h.Accept(raw, cb)
		if err != nil {
			return Outcome{Mine: true, Err: err}
		}
		return Outcome{Mine: true, User: res.User, Persist: true, Sealer: res.Session}
	}
	return Outcome{Mine: true, Err: fmt.Errorf("unexpected NTLM message type %d", ntlm.MessageType(raw))}
}
