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
	AuthBasic = "basic"
	AuthNTLM  = "ntlm"
)

// Defaults applied by New when the corresponding Config field is zero.
const (
	DefaultHTTPPort  = 5985
	DefaultHTTPSPort = 5986
	// DefaultTimeout bounds one remote command when Config.Timeout is zero.
	DefaultTimeout = 5 * time.Minute
)

// Config describes how to reach one Windows host over WinRM. The field names
// mirror the provider attributes (host, port, https, insecure, ca_cert,
// tls_server_name, username, password, auth, allow_unencrypted, timeout) so
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

	// Auth is "basic" or "ntlm" (kerberos comes later).
	Auth string

	// AllowUnencrypted must be true for Basic over plain HTTP, because the
	// password and every script would then travel in clear text.
	AllowUnencrypted bool

	// Timeout bounds each remote command (a context deadline) and is the basis
	// of the WS-Management OperationTimeout. Zero means DefaultTimeout.
	Timeout time.Duration
}

// String redacts the password so a Config can never leak it through %v or a
// log line.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "(redacted)"
	}
	return fmt.Sprintf("winrmclient.Config{Host:%q Port:%d HTTPS:%t Insecure:%t CACert:%d bytes TLSServerName:%q Username:%q Password:%s Auth:%q AllowUnencrypted:%t Timeout:%s}",
		c.Host, c.Port, c.HTTPS, c.Insecure, len(c.CACert), c.TLSServerName, c.Username, pw, c.Auth, c.AllowUnencrypted, c.Timeout)
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

	if cfg.Username == "" {
		bad("username", "is empty; set the Windows account, e.g. DOMAIN\\user or a local account name")
	}
	if cfg.Password == "" {
		bad("password", "is empty; Windows refuses network logons with a blank password")
	}

	switch cfg.Auth {
	case AuthBasic:
		if !cfg.HTTPS && !cfg.AllowUnencrypted {
			bad("allow_unencrypted", "auth = \"basic\" over plain HTTP would send the password and every script in clear text; "+
				"use https = true (port 5986), or auth = \"ntlm\" (encrypts messages over HTTP), or set allow_unencrypted = true "+
				"if the network is trusted (the host must also allow it: winrm set winrm/config/service @{AllowUnencrypted=\"true\"})")
		}
	case AuthNTLM:
		// The library's NTLM transport uses a bare http.Client, so it cannot
		// honour our TLS settings; refusing them is better than ignoring them.
		if cfg.HTTPS {
			for _, o := range []struct {
				attr string
				set  bool
			}{{"ca_cert", len(cfg.CACert) > 0}, {"insecure", cfg.Insecure}, {"tls_server_name", cfg.TLSServerName != ""}} {
				if o.set {
					bad(o.attr, "is not supported yet with auth = \"ntlm\" over https: the NTLM transport verifies the host certificate against the system trust store only; "+
						"install the issuing CA in the system store, or use auth = \"basic\" over https")
				}
			}
		}
	case "kerberos":
		bad("auth", "\"kerberos\" is not supported yet; use \"ntlm\" for domain accounts or \"basic\" for local accounts")
	case "":
		bad("auth", "is empty; set \"basic\" or \"ntlm\"")
	default:
		bad("auth", "%q is not supported; use \"basic\" or \"ntlm\"", cfg.Auth)
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

	return cfg, errors.Join(errs...)
}

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
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: cfg.TLSServerName,
		// The user asked for it explicitly; New refuses it over HTTP.
		InsecureSkipVerify: cfg.Insecure, //nolint:gosec
	}
	if len(cfg.CACert) > 0 {
		pool, err := parseCACert(cfg.CACert)
		if err != nil {
			return nil, &ConfigError{Attribute: "ca_cert", Message: err.Error()}
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
