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

func TestConfigValidation(t *testing.T) {
	good := Config{Host: "dp01", Username: testUser, Password: testPass, Auth: AuthNTLM}
	testCAPEM := selfSignedPEM(t)
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
		{"kerberos not yet", func(c *Config) { c.Auth = "kerberos" }, []string{"auth"}, "not supported yet"},
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
		{"ntlm over https with ca_cert", func(c *Config) { c.HTTPS, c.CACert = true, testCAPEM }, []string{"ca_cert"}, "system trust store"},
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
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
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
