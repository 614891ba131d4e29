package winrmclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// selfSignedPEM makes a throwaway CA certificate for validation tests.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// clientCertPEM makes a throwaway certificate and key.
func clientCertPEM(t *testing.T) ([]byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}

func TestConfigValidation(t *testing.T) {
	good := Config{Host: "dp01", Username: testUser, Password: testPass, Auth: AuthNTLM}
	testCAPEM := selfSignedPEM(t)
	testCertPEM, testKeyPEM := clientCertPEM(t)
	_, otherKeyPEM := clientCertPEM(t)
	const krb5Conf = "[libdefaults]\n default_realm = EXAMPLE.TEST\n[realms]\n EXAMPLE.TEST = {\n  kdc = 127.0.0.1:88\n }\n"
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		attrs []string // attributes reported, in order; empty: valid
		want  string   // a phrase of the message
	}{
		{"ntlm over http", func(*Config) {}, nil, ""},
		{"basic over https", func(c *Config) { c.Auth, c.HTTPS = AuthBasic, true }, nil, ""},
		{"basic over http with allow_unencrypted", func(c *Config) { c.Auth, c.AllowUnencrypted = AuthBasic, true }, nil, ""},
		{"basic over https with CA", func(c *Config) { c.Auth, c.HTTPS, c.CACert = AuthBasic, true, testCAPEM }, nil, ""},
		{"basic over http without allow_unencrypted", func(c *Config) { c.Auth = AuthBasic }, []string{"allow_unencrypted"}, "clear text"},
		{"unknown auth", func(c *Config) { c.Auth = "digest" }, []string{"auth"}, `"digest" is not supported`},
		{"kerberos over http (sealed)", func(c *Config) { c.Auth = AuthKerberos; c.Krb5Conf = krb5Conf }, nil, ""},
		{"kerberos over https", func(c *Config) { c.Auth, c.HTTPS, c.Krb5Conf = AuthKerberos, true, krb5Conf }, nil, ""},
		{"kerberos without realm", func(c *Config) {
			c.Auth, c.HTTPS, c.Krb5Conf = AuthKerberos, true, "[libdefaults]\n dns_lookup_kdc = false\n"
		}, []string{"realm"}, "default_realm"},
		{"kerberos with a keytab that is not there", func(c *Config) {
			c.Auth, c.HTTPS, c.Krb5Conf, c.Keytab, c.Password = AuthKerberos, true, krb5Conf, "/nonexistent/x.keytab", ""
		}, []string{"keytab"}, "cannot read the keytab"},
		{"kerberos krb5.conf missing", func(c *Config) { c.Auth, c.HTTPS, c.Krb5Conf = AuthKerberos, true, "/nonexistent/krb5.conf" }, []string{"krb5_conf"}, "cannot load"},
		{"realm without kerberos", func(c *Config) { c.Realm = "CORP" }, []string{"realm"}, "only used with auth = \"kerberos\""},
		{"certificate over http", func(c *Config) { c.Auth, c.ClientCert, c.ClientKey = AuthCertificate, testCertPEM, testKeyPEM }, []string{"https"}, "https = true"},
		{"certificate without key", func(c *Config) { c.Auth, c.HTTPS, c.ClientCert = AuthCertificate, true, testCertPEM }, []string{"client_cert"}, "client_key"},
		{"certificate with a foreign key", func(c *Config) {
			c.Auth, c.HTTPS, c.ClientCert, c.ClientKey = AuthCertificate, true, testCertPEM, otherKeyPEM
		}, []string{"client_key"}, "private key"},
		{"certificate", func(c *Config) {
			c.Auth, c.HTTPS, c.ClientCert, c.ClientKey, c.Username, c.Password = AuthCertificate, true, testCertPEM, testKeyPEM, "", ""
		}, nil, ""},
		{"client_cert without certificate auth", func(c *Config) { c.HTTPS, c.ClientCert = true, testCertPEM }, []string{"client_cert"}, "only used"},
		{"empty auth", func(c *Config) { c.Auth = "" }, []string{"auth"}, "is empty"},
		{"empty host", func(c *Config) { c.Host = " " }, []string{"host"}, "is empty"},
		{"host is a URL", func(c *Config) { c.Host = "http://dp01:5985/wsman" }, []string{"host"}, "looks like a URL"},
		{"host with port", func(c *Config) { c.Host = "dp01:5985" }, []string{"host"}, "port attribute"},
		{"port too large", func(c *Config) { c.Port = 70000 }, []string{"port"}, "outside 1-65535"},
		{"port negative", func(c *Config) { c.Port = -1 }, []string{"port"}, "outside 1-65535"},
		{"empty credentials", func(c *Config) { c.Username, c.Password = "", "" }, []string{"username", "password"}, "blank password"},
		{"bad PEM", func(c *Config) { c.Auth, c.HTTPS, c.CACert = AuthBasic, true, []byte("not a pem") }, []string{"ca_cert"}, "no PEM certificate"},
		{"corrupt certificate", func(c *Config) {
			c.Auth, c.HTTPS = AuthBasic, true
			c.CACert = []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
		}, []string{"ca_cert"}, "does not parse"},
		{"private key pasted", func(c *Config) {
			c.Auth, c.HTTPS = AuthBasic, true
			c.CACert = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		}, []string{"ca_cert"}, "PRIVATE KEY"},
		{"ca_cert over http", func(c *Config) { c.CACert = testCAPEM }, []string{"ca_cert"}, "https = true"},
		{"insecure with ca_cert", func(c *Config) { c.Auth, c.HTTPS, c.Insecure, c.CACert = AuthBasic, true, true, testCAPEM }, []string{"insecure"}, "remove insecure"},
		{"ntlm over https with ca_cert and tls_server_name", func(c *Config) { c.HTTPS, c.CACert, c.TLSServerName = true, testCAPEM, "dp01.corp" }, nil, ""},
		{"timeout too short", func(c *Config) { c.Timeout = 10 * time.Millisecond }, []string{"timeout"}, "at least 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			c, err := New(cfg)
			if len(tc.attrs) == 0 {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("%T is not a list of errors: %v", err, err)
			}
			var got []string
			for _, e := range joined.Unwrap() {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("%T is not *ConfigError", e)
				}
				got = append(got, ce.Attribute)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.attrs) {
				t.Errorf("attributes = %v, want %v (%v)", got, tc.attrs, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q: %v", tc.want, err)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestDefaults(t *testing.T) {
	c := mustNew(t, Config{Host: "dp01", HTTPS: true, Username: "u", Password: "p", Auth: AuthBasic})
	if c.cfg.Port != DefaultHTTPSPort || c.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults: port %d timeout %s", c.cfg.Port, c.cfg.Timeout)
	}
	for _, tc := range []struct{ in, want time.Duration }{
		{time.Second, time.Second},
		{1500 * time.Millisecond, time.Second},
		{30 * time.Second, 30 * time.Second},
		{time.Hour, 60 * time.Second},
	} {
		if got := operationTimeout(tc.in); got != tc.want {
			t.Errorf("operationTimeout(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
