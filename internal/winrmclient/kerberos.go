package winrmclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/dp-tools/terraform-provider-iis/internal/chanbind"
)

// kerberosAuth authenticates each connection with a Kerberos service ticket
// in SPNEGO (a login, see kerberos_login.go), once per connection, with
// mutual authentication: the host must prove it holds the service's key
// before anything is sent. Over HTTPS the login carries the TLS channel
// bindings; over HTTP the context it establishes seals every message of the
// connection (RFC 4121 Wrap tokens in MS-WSMV framing), as Windows' own
// clients do on the default HTTP listener.
type kerberosAuth struct {
	spn string
	mu  sync.Mutex // gokrb5's login is not safe to run twice at once
	kc  *client.Client
}

func (*kerberosAuth) connectionOriented() bool { return true }
func (*kerberosAuth) authorize(http.Header)    {}

// newKerberosAuth loads krb5.conf and the keytab now, so a bad setting is a
// configuration error naming its attribute rather than a failure later.
func newKerberosAuth(cfg Config) (*kerberosAuth, error) {
	kconf, err := loadKrb5Conf(cfg.Krb5Conf)
	if err != nil {
		return nil, &ConfigError{Attribute: "krb5_conf", Message: err.Error()}
	}
	user, realm := cfg.Username, cfg.Realm
	// A NetBIOS domain (CORP\\user) is not a realm (CORP.EXAMPLE): only a
	// user@REALM name gives one.
	if _, n, ok := strings.Cut(user, `\`); ok {
		user = n
	}
	if n, r, ok := strings.Cut(user, "@"); ok {
		user = n
		if realm == "" {
			realm = strings.ToUpper(r)
		}
	}
	if realm == "" {
		realm = kconf.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return nil, &ConfigError{Attribute: "realm", Message: "is not set, the username names no realm (user@REALM) and krb5.conf has no default_realm: set realm, e.g. \"CORP.EXAMPLE\""}
	}
	spn := cfg.SPN
	if spn == "" {
		spn = defaultSPN(cfg.Host)
	}
	var kc *client.Client
	if cfg.Keytab != "" {
		kt, err := keytab.Load(cfg.Keytab)
		if err != nil {
			return nil, &ConfigError{Attribute: "keytab", Message: fmt.Sprintf("cannot read the keytab %q: %v", cfg.Keytab, err)}
		}
		kc = client.NewWithKeytab(user, realm, kt, kconf, client.DisablePAFXFAST(true))
	} else {
		kc = client.NewWithPassword(user, realm, cfg.Password, kconf, client.DisablePAFXFAST(true))
	}
	return &kerberosAuth{spn: spn, kc: kc}, nil
}

// defaultSPN is the host-based service principal of host's WinRM service:
// HTTP/ and the host name without a port, lower-cased. Host-based names are
// case-insensitive in Active Directory, but MIT and Heimdal KDCs look them
// up as stored, which is lower-case (RFC 4120 6.2.1 leaves the case of
// host names to the realm; MIT's kadmin and Windows' setspn both store
// lower-case).
func defaultSPN(host string) string {
	h := strings.TrimSpace(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	return "HTTP/" + strings.ToLower(h)
}

// loadKrb5Conf reads krb5.conf given as content or a path (default
// $KRB5_CONFIG, then /etc/krb5.conf).
func loadKrb5Conf(v string) (*config.Config, error) {
	if strings.Contains(v, "\n") || strings.Contains(v, "[") {
		c, err := config.NewFromString(v)
		if err != nil {
			return nil, fmt.Errorf("the krb5.conf content does not parse: %v", err)
		}
		return c, nil
	}
	path := v
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load %q: %v; set krb5_conf to the path or the content of a krb5.conf naming the realm's KDCs", path, err)
	}
	return c, nil
}

func (k *kerberosAuth) handshake(ctx context.Context, c *Client, hc *hostConn, op string) error {
	var bindings []byte
	if hc.tls != nil && len(hc.tls.PeerCertificates) > 0 {
		// RFC 5929 tls-server-end-point, as the NTLM path sends: a host with
		// CbtHardeningLevel Strict refuses a login without them.
		bindings = chanbind.ApplicationData(hc.tls.PeerCertificates[0])
	}
	l, err := k.login(bindings)
	if err != nil {
		return c.errs.kerberos(op, k.spn, err)
	}
	resp, err := c.handshakeLeg(ctx, hc, op, "Negotiate "+base64.StdEncoding.EncodeToString(l.token))
	if err != nil {
		return err
	}
	switch resp.status {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return c.errs.kerberosRefused(op, k.spn, resp.header, bindings != nil)
	default:
		return c.errs.handshakeStatus(op, resp.status, resp.header.Get("Content-Type"))
	}
	// Nothing of the connection is used before the host has proved that
	// it holds the key of the service principal.
	tok, _ := negotiateToken(resp.header)
	rep, err := l.complete(tok)
	if err != nil {
		return c.errs.serverNotAuthenticated(op, k.spn, err)
	}
	if !c.cfg.HTTPS {
		sc, err := l.sealingContext(rep)
		if err != nil {
			return c.errs.new(KindAuth, op, "cannot encrypt messages with the Kerberos context: "+err.Error(), "Or use https = true", nil)
		}
		hc.sealer = sc
	}
	return nil
}
