package wsman

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Authenticator decides who sent a request, one request at a time (Basic).
// The server calls Authenticate for every request; on failure it answers
// 401 with the challenges Challenge returns, each as a WWW-Authenticate
// header. Schemes that authenticate a connection rather than a request
// (NTLM, Kerberos) implement [Scheme] instead.
type Authenticator interface {
	// Authenticate returns the authenticated user name and true, or false.
	Authenticate(r *http.Request) (user string, ok bool)
	// Challenge returns the WWW-Authenticate values of the 401 answering r.
	Challenge(r *http.Request) []string
}

// Scheme is one authentication scheme of the service, like an entry of
// winrm/config/service/auth (Basic, Negotiate, Kerberos, Certificate).
type Scheme interface {
	// Name names the scheme in logs and Stats ("Basic", "NTLM", ...).
	Name() string
	// Offer returns the WWW-Authenticate values the scheme adds to a 401
	// answering r (none for certificate mapping, as on Windows).
	Offer(r *http.Request) []string
	// Authenticate examines r's credentials. c is r's connection, where a
	// connection-oriented scheme keeps its handshake; it is nil when the
	// http.Server lacks the ConnContext hook (see Server.ConnContext).
	Authenticate(r *http.Request, c *Conn) Outcome
}

// Outcome is what a Scheme made of a request's credentials.
type Outcome struct {
	// Mine: the request carried credentials of this scheme. Otherwise the
	// server asks the next scheme.
	Mine bool
	// User is set when the credentials were accepted.
	User string
	// Continue, when set on a refusal, is the only WWW-Authenticate value
	// of the 401: the next leg of a handshake ("Negotiate <token>").
	Continue string
	// Final is a WWW-Authenticate value to send with a successful reply
	// (the last leg of a mutual authentication).
	Final string
	// Persist: the connection stays authenticated as User, so later
	// requests on it need no Authorization header (NTLM, Kerberos).
	Persist bool
	// Sealer is the connection's security context when the scheme can
	// seal message bodies (NTLM with confidentiality).
	Sealer Sealer
	// Err says why credentials were refused, for the log. Never a secret.
	Err error
}

// Sealer seals and unseals message bodies of one connection (GSS_WrapEx and
// GSS_UnwrapEx); calls come in the order the messages travel.
type Sealer interface {
	Wrap(plain []byte) (sealed, signature []byte, err error)
	Unwrap(sealed, signature []byte) ([]byte, error)
}

// Conn is the state the server keeps for one client connection: the
// handshake in progress and, once authenticated, the user and the security
// context that seals its messages. It lives in the connection's context
// (see Server.ConnContext) and goes away with the connection.
type Conn struct {
	mu        sync.Mutex
	handshake any
	user      string
	scheme    string
	sealer    Sealer
}

// Handshake returns what a scheme stored with SetHandshake.
func (c *Conn) Handshake() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handshake
}

// SetHandshake keeps a scheme's state between the legs of a handshake.
func (c *Conn) SetHandshake(h any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handshake = h
}

func (c *Conn) authenticated() (user, scheme string, sealer Sealer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user, c.scheme, c.sealer
}

func (c *Conn) set(user, scheme string, sealer Sealer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user, c.scheme, c.sealer, c.handshake = user, scheme, sealer, nil
}

// reset forgets the connection's authentication (a broken security context).
func (c *Conn) reset() { c.set("", "", nil) }

type connKey struct{}

// ConnContext is the http.Server ConnContext hook every server of this
// handler must install (httptest: ts.Config.ConnContext = srv.ConnContext
// before Start): connection-oriented schemes keep their state in the
// connection's context, where it dies with the connection.
func (s *Server) ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &Conn{})
}

func connOf(r *http.Request) *Conn {
	c, _ := r.Context().Value(connKey{}).(*Conn)
	return c
}

// BasicAuth accepts HTTP Basic credentials of a fixed set of users.
// Its challenges are those of a Windows host with Basic enabled: Negotiate
// first, then Basic with realm "WSMAN".
type BasicAuth struct {
	users []basicUser
}

// basicUser keeps digests, not the secrets themselves: comparing digests of
// equal length lets the comparison run in constant time whatever the lengths
// of the presented values.
type basicUser struct {
	name     string
	nameHash [32]byte
	passHash [32]byte
}

// NewBasicAuth returns a BasicAuth for the user name → password map.
// An empty map accepts nobody.
func NewBasicAuth(users map[string]string) *BasicAuth {
	b := &BasicAuth{}
	for name, pass := range users {
		b.users = append(b.users, basicUser{
			name:     name,
			nameHash: sha256.Sum256([]byte(name)),
			passHash: sha256.Sum256([]byte(pass)),
		})
	}
	return b
}

// Authenticate checks the Authorization header against every configured user,
// without stopping at the first match, so timing does not tell which part of
// the credentials was wrong.
func (b *BasicAuth) Authenticate(r *http.Request) (string, bool) {
	name, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	nh, ph := sha256.Sum256([]byte(name)), sha256.Sum256([]byte(pass))
	match := -1
	for i := range b.users {
		u := &b.users[i]
		if subtle.ConstantTimeCompare(nh[:], u.nameHash[:])&subtle.ConstantTimeCompare(ph[:], u.passHash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", false
	}
	return b.users[match].name, true
}

// Challenge returns the challenges of a Windows host with Basic enabled.
func (b *BasicAuth) Challenge(*http.Request) []string {
	return []string{"Negotiate", `Basic realm="WSMAN"`}
}

// BasicScheme is Basic as one of several schemes: it offers only Basic.
type BasicScheme struct{ auth *BasicAuth }

// NewBasicScheme returns the Basic scheme for the user name → password map.
func NewBasicScheme(users map[string]string) *BasicScheme {
	return &BasicScheme{auth: NewBasicAuth(users)}
}

func (b *BasicScheme) Name() string                 { return "Basic" }
func (b *BasicScheme) Offer(*http.Request) []string { return []string{`Basic realm="WSMAN"`} }

func (b *BasicScheme) Authenticate(r *http.Request, _ *Conn) Outcome {
	if !hasScheme(r, "Basic") {
		return Outcome{}
	}
	user, ok := b.auth.Authenticate(r)
	if !ok {
		return Outcome{Mine: true, Err: errWrongCredentials}
	}
	return Outcome{Mine: true, User: user}
}

// legacyScheme adapts an Authenticator.
type legacyScheme struct{ a Authenticator }

func (l legacyScheme) Name() string                   { return "Basic" }
func (l legacyScheme) Offer(r *http.Request) []string { return l.a.Challenge(r) }
func (l legacyScheme) Authenticate(r *http.Request, _ *Conn) Outcome {
	user, ok := l.a.Authenticate(r)
	if !ok {
		return Outcome{Mine: r.Header.Get("Authorization") != "", Err: errWrongCredentials}
	}
	return Outcome{Mine: true, User: user}
}

// hasScheme reports whether r's Authorization header uses scheme.
func hasScheme(r *http.Request, scheme string) bool {
	name, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(name, scheme)
}

// authorizationToken returns the token of "Authorization: <scheme> <token>".
func authorizationToken(r *http.Request, scheme string) (string, bool) {
	name, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(name, scheme) {
		return "", false
	}
	return strings.TrimSpace(tok), true
}
