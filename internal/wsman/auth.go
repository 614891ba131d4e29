package wsman

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// Authenticator decides who sent a request. The server calls Authenticate for
// every request; on failure it answers 401 with the challenges Challenge
// returns, each as a WWW-Authenticate header.
//
// Both methods receive the request so that a connection-oriented scheme
// (NTLM, Negotiate) can be added later: its challenge depends on the token the
// client sent.
type Authenticator interface {
	// Authenticate returns the authenticated user name and true, or false.
	Authenticate(r *http.Request) (user string, ok bool)
	// Challenge returns the WWW-Authenticate values of the 401 answering r.
	Challenge(r *http.Request) []string
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
