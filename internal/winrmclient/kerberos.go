package winrmclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// kerberosAuth authenticates each connection with a Kerberos service ticket
// in SPNEGO (gokrb5), once per connection. There is no message encryption:
// like masterzen's ClientKerberos, it needs HTTPS (or a host that allows
// unencrypted messages).
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
		spn = "HTTP/" + cfg.Host
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

func (k *kerberosAuth) token() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := spnego.SPNEGOClient(k.kc, k.spn)
	if err := s.AcquireCred(); err != nil {
		return nil, err
	}
	st, err := s.InitSecContext()
	if err != nil {
		return nil, err
	}
	return st.Marshal()
}

func (k *kerberosAuth) handshake(ctx context.Context, c *Client, hc *hostConn, op string) error {
	tok, err := k.token()
	if err != nil {
		return c.errs.kerberos(op, k.spn, err)
	}
	resp, err := c.handshakeLeg(ctx, hc, op, "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	if err != nil {
		return err
	}
	switch resp.status {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return c.errs.unauthorized(op, offeredSchemes(resp.header))
	}
	return c.errs.handshakeStatus(op, resp.status, resp.header.Get("Content-Type"))
}

// kerberos explains a failure to get a service ticket from the KDC.
func (f errorFactory) kerberos(op, spn string, err error) *Error {
	msg := err.Error()
	hint := "Check realm, krb5_conf (the realm's KDCs must be reachable on port 88) and the credentials"
	switch {
	case strings.Contains(msg, "KDC_ERR_PREAUTH_FAILED") || strings.Contains(msg, "KRB_AP_ERR_BAD_INTEGRITY"):
		hint = fmt.Sprintf("The KDC rejected the password (or keytab) of \"%s\": check them", f.username)
	case strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		hint = fmt.Sprintf("The KDC does not know the user \"%s\": check username and realm", f.username)
	case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		hint = fmt.Sprintf("The KDC does not know the service principal %q: set spn to the host's HTTP service principal (setspn -L <host> lists them)", spn)
	case strings.Contains(msg, "KRB_AP_ERR_SKEW"):
		hint = "The clocks of this machine and the KDC differ by more than 5 minutes"
	case strings.Contains(msg, "networking") || strings.Contains(msg, "connect"):
		hint = "No KDC of the realm answered: check krb5_conf (kdc = host:88 under [realms]) and that port 88 is reachable"
	}
	return f.new(KindAuth, op, "cannot get a Kerberos ticket for "+spn, hint, scrub(err))
}
