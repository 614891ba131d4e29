package winrmclient

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Authentication schemes accepted in Config.Auth.
const (
	AuthBasic       = "basic"
	AuthNTLM        = "ntlm"
	AuthKerberos    = "kerberos"
	AuthCertificate = "certificate"
)

// Defaults applied by New when the corresponding Config field is zero.
const (
	DefaultHTTPPort  = 5985
	DefaultHTTPSPort = 5986
	// DefaultTimeout bounds one remote command when Config.Timeout is zero.
	DefaultTimeout = 5 * time.Minute
	// DefaultShellIdleTimeout is how long a reused shell may stay idle
	// before the client deletes it (and, doubled, the IdleTimeOut it asks
	// the host for, so a shell left behind by a killed process expires).
	DefaultShellIdleTimeout = 60 * time.Second
)

// Config describes how to reach one Windows host over WinRM. The field names
// mirror the provider attributes (host, port, https, insecure, ca_cert,
// tls_server_name, username, password, auth, allow_unencrypted,
// client_cert, client_key, realm, krb5_conf, spn, keytab, timeout) so
// validation messages can name the attribute to fix.
type Config struct {
	Host          string
	Port          int // 0 means 5985 for HTTP, 5986 for HTTPS
	HTTPS         bool
	Insecure      bool   // skip TLS verification; for testing only
	CACert        []byte // PEM; replaces the system roots when set
	TLSServerName string // name to verify the host certificate against

	Username string
	Password string

	// Auth is "ntlm", "basic", "kerberos" or "certificate".
	Auth string

	// AllowUnencrypted must be true for Basic over plain HTTP, because the
	// messages would then travel in clear text (NTLM and Kerberos seal them).
	AllowUnencrypted bool

	// ClientCert and ClientKey (PEM) authenticate with auth "certificate".
	ClientCert, ClientKey []byte

	// Kerberos: the realm (default: from a user@REALM username, else the
	// krb5.conf default_realm), krb5.conf as a path or its content (default
	// $KRB5_CONFIG or /etc/krb5.conf), the service principal (default
	// HTTP/<host>) and a keytab path used instead of the password.
	Realm, Krb5Conf, SPN, Keytab string

	// Timeout bounds each remote command (a context deadline) and is the basis
	// of the WS-Management OperationTimeout. Zero means DefaultTimeout.
	Timeout time.Duration

	// Naive runs every command as the WinRM library's own loop does: in a
	// shell of its own (Create and Delete around it, no reuse), with the end
	// of input in a Send of its own and a Signal after the output. It is the
	// naive mode of comparison benchmarks (IIS_OPTIMIZATIONS=off).
	Naive bool
	// ShellIdleTimeout: a reused shell idle this long is deleted. Zero means
	// DefaultShellIdleTimeout.
	ShellIdleTimeout time.Duration
}

// String redacts the secrets so a Config can never leak them through %v or
// a log line.
func (c Config) String() string {
	red := func(set bool) string {
		if set {
			return "(redacted)"
		}
		return ""
	}
	return fmt.Sprintf("winrmclient.Config{Host:%q Port:%d HTTPS:%t Insecure:%t CACert:%d bytes TLSServerName:%q Username:%q Password:%s Auth:%q AllowUnencrypted:%t "+
		"ClientCert:%d bytes ClientKey:%s Realm:%q Krb5Conf:%d bytes SPN:%q Keytab:%q Timeout:%s Naive:%t}",
		c.Host, c.Port, c.HTTPS, c.Insecure, len(c.CACert), c.TLSServerName, c.Username, red(c.Password != ""), c.Auth, c.AllowUnencrypted,
		len(c.ClientCert), red(len(c.ClientKey) > 0), c.Realm, len(c.Krb5Conf), c.SPN, c.Keytab, c.Timeout, c.Naive)
}

// Format routes every verb (%v, %+v, %#v, %x, ...) through String, which
// would otherwise print the password field.
func (c Config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// ConfigError reports one invalid setting. Attribute is the provider attribute
// name, so the provider can attach the diagnostic to the right place.
type ConfigError struct {
	Attribute string
	Message   string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid WinRM setting %s: %s", e.Attribute, e.Message)
}

// normalize validates cfg, fills defaults and returns the copy New keeps. All
// problems are reported at once (errors.Join of *ConfigError) so a user fixes
// the configuration in one pass.
func normalize(cfg Config) (Config, error) {
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &ConfigError{Attribute: attr, Message: fmt.Sprintf(format, args...)})
	}

	host, herr := normalizeHost(cfg.Host)
	if herr != "" {
		bad("host", "%s", herr)
	}
	cfg.Host = host

	switch {
	case cfg.Port == 0 && cfg.HTTPS:
		cfg.Port = DefaultHTTPSPort
	case cfg.Port == 0:
		cfg.Port = DefaultHTTPPort
	case cfg.Port < 1 || cfg.Port > 65535:
		bad("port", "%d is outside 1-65535; WinRM listens on 5985 (HTTP) or 5986 (HTTPS) by default", cfg.Port)
	}

	needUser, needPassword := true, true
	switch cfg.Auth {
	case AuthBasic:
		if !cfg.HTTPS && !cfg.AllowUnencrypted {
			bad("allow_unencrypted", "auth = \"basic\" over plain HTTP would send the password and every script in clear text; "+
				"use https = true (port 5986), or auth = \"ntlm\" (encrypts messages over HTTP), or set allow_unencrypted = true "+
				"if the network is trusted (the host must also allow it: winrm set winrm/config/service @{AllowUnencrypted=\"true\"})")
		}
	case AuthNTLM:
		// Over HTTP every message is sealed with the NTLM session; over
		// HTTPS TLS protects it and our TLS settings apply.
	case AuthKerberos:
		// Over HTTP every message is sealed with the Kerberos context.
		needPassword = cfg.Keytab == ""
	case AuthCertificate:
		needUser, needPassword = false, false
		if !cfg.HTTPS {
			bad("https", "auth = \"certificate\" authenticates with a TLS client certificate: set https = true (port 5986)")
		}
		switch {
		case len(cfg.ClientCert) == 0 || len(cfg.ClientKey) == 0:
			bad("client_cert", "auth = \"certificate\" needs client_cert and client_key (PEM), e.g. file(\"client.pem\") and file(\"client.key\")")
		default:
			if _, err := tls.X509KeyPair(cfg.ClientCert, cfg.ClientKey); err != nil {
				bad("client_key", "client_cert and client_key are not a PEM certificate and its private key: %s", scrubPEMError(err))
			}
		}
	case "":
		bad("auth", "is empty; set \"ntlm\", \"basic\", \"kerberos\" or \"certificate\"")
	default:
		bad("auth", "%q is not supported; use \"ntlm\", \"basic\", \"kerberos\" or \"certificate\"", cfg.Auth)
	}
	if cfg.Auth != AuthCertificate && (len(cfg.ClientCert) > 0 || len(cfg.ClientKey) > 0) {
		bad("client_cert", "is only used with auth = \"certificate\"")
	}
	if cfg.Auth != AuthKerberos {
		for _, o := range []struct{ attr, v string }{{"realm", cfg.Realm}, {"krb5_conf", cfg.Krb5Conf}, {"spn", cfg.SPN}, {"keytab", cfg.Keytab}} {
			if o.v != "" {
				bad(o.attr, "is only used with auth = \"kerberos\"")
			}
		}
	}

	if needUser && cfg.Username == "" {
		bad("username", "is empty; set the Windows account, e.g. DOMAIN\\user or a local account name")
	}
	if needPassword && cfg.Password == "" {
		if cfg.Auth == AuthKerberos {
			bad("password", "is empty; Kerberos needs the password or a keytab")
		} else {
			bad("password", "is empty; Windows refuses network logons with a blank password")
		}
	}

	if !cfg.HTTPS {
		if len(cfg.CACert) > 0 {
			bad("ca_cert", "is only used with https = true")
		}
		if cfg.Insecure {
			bad("insecure", "is only used with https = true")
		}
		if cfg.TLSServerName != "" {
			bad("tls_server_name", "is only used with https = true")
		}
	}
	if cfg.Insecure && len(cfg.CACert) > 0 {
		bad("insecure", "and ca_cert are both set; ca_cert is ignored when verification is off: remove insecure")
	}
	if len(cfg.CACert) > 0 {
		if _, err := parseCACert(cfg.CACert); err != nil {
			bad("ca_cert", "%s", err)
		}
	}

	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	case cfg.Timeout < time.Second:
		bad("timeout", "%s is too short; use at least 1s (a PowerShell start alone takes hundreds of milliseconds)", cfg.Timeout)
	}
	if cfg.ShellIdleTimeout <= 0 {
		cfg.ShellIdleTimeout = DefaultShellIdleTimeout
	}

	return cfg, errors.Join(errs...)
}

// scrubPEMError keeps crypto/tls's explanation but never key material
// (its errors carry none; this only trims the package prefix).
func scrubPEMError(err error) string { return strings.TrimPrefix(err.Error(), "tls: ") }

// normalizeHost accepts a DNS name or IP address (IPv6 with or without
// brackets) and explains the common mistakes of pasting a URL or a port.
func normalizeHost(h string) (string, string) {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		return h, "is empty; set the DNS name or IP address of the Windows host"
	case strings.Contains(h, "://") || strings.Contains(h, "/"):
		return h, fmt.Sprintf("%q looks like a URL; give only the host name and set port and https separately", h)
	case strings.ContainsAny(h, " \t\r\n@"):
		return h, fmt.Sprintf("%q is not a host name", h)
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") && net.ParseIP(h) == nil {
		return h, fmt.Sprintf("%q contains a colon but is not an IPv6 address; set the port with the port attribute", h)
	}
	return h, ""
}

// parseCACert decodes every PEM block itself because
// x509.CertPool.AppendCertsFromPEM skips bad blocks silently.
func parseCACert(pemBytes []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			// Never echo the block: it may be a private key pasted by mistake.
			return nil, fmt.Errorf("contains a PEM block of type %q; give only the CA certificate(s) (BEGIN CERTIFICATE)", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %v", n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("holds no PEM certificate; give the PEM text of the CA that issued the host's WinRM HTTPS certificate (-----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}

// tlsConfig is only called on a normalized Config, so parseCACert succeeds.
func tlsConfig(cfg Config) (*tls.Config, error) {
	name := cfg.TLSServerName
	if name == "" {
		name = cfg.Host
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: name,
		// The user asked for it explicitly; New refuses it over HTTP.
		InsecureSkipVerify: cfg.Insecure, // only when the user sets insecure = true (warned at plan time)
	}
	if len(cfg.CACert) > 0 {
		pool, err := parseCACert(cfg.CACert)
		if err != nil {
			return nil, &ConfigError{Attribute: "ca_cert", Message: err.Error()}
		}
		tc.RootCAs = pool
	}
	if cfg.Auth == AuthCertificate {
		cert, err := tls.X509KeyPair(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, &ConfigError{Attribute: "client_key", Message: scrubPEMError(err)}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
