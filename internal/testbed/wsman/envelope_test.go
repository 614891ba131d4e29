package wsman

import (
	"crypto/x509"
	"net"
	"regexp"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT60S", 60 * time.Second, true},
		{"PT60.000S", 60 * time.Second, true},
		{"PT0.5S", 500 * time.Millisecond, true},
		{"PT1M30S", 90 * time.Second, true},
		{"PT2H", 2 * time.Hour, true},
		{"P1D", 24 * time.Hour, true},
		{"P0DT0H1M0S", time.Minute, true},
		{"P400D", maxOperationTimeout, true},
		{"", 0, false},
		{"P", 0, false},
		{"PT", 0, false},
		{"60", 0, false},
		{"-PT5S", 0, false},
		{"P1M", 0, false}, // months have no fixed length
		{"PT5", 0, false},
		{"PTS", 0, false},
		{"PT1.2.3S", 0, false},
		{"PT5S5S", 0, false},
		{"PT5S1M", 0, false},
		{"PT1.5M", 0, false},
		{"PT1ST2S", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestNewGUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		g := newGUID()
		if !re.MatchString(g) || seen[g] {
			t.Fatalf("bad or repeated GUID %q", g)
		}
		seen[g] = true
	}
}

// Namespaces are matched by URI: a request using other prefixes (or a
// default namespace) parses the same.
func TestParseRequestIgnoresPrefixes(t *testing.T) {
	body := `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:q="http://schemas.xmlsoap.org/ws/2004/08/addressing">
<Header>
  <q:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</q:Action>
  <q:MessageID>uuid:1</q:MessageID>
  <m:ResourceURI xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</m:ResourceURI>
  <m:SelectorSet xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><m:Selector Name="ShellId">S1</m:Selector></m:SelectorSet>
  <m:OperationTimeout xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">PT20S</m:OperationTimeout>
  <w:ResourceURI xmlns:w="urn:not-wsman">decoy</w:ResourceURI>
</Header>
<Body><Receive xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/></Body>
</Envelope>`
	req, f := parseRequest([]byte(body))
	if f != nil {
		t.Fatal(f)
	}
	if req.Action != actionReceive || req.MessageID != "uuid:1" || req.ResourceURI != resourceCmd ||
		req.ShellID != "S1" || !req.HasShellID || req.Timeout != 20*time.Second || !isShell(req.Body, "Receive") {
		t.Errorf("parsed %+v", req)
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	cert, certPEM, err := SelfSignedCertificate("dp01.example.test", "10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("PEM not usable as a CA")
	}
	for _, host := range []string{"dp01.example.test", "10.0.0.5"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "other.example.test", Roots: pool}); err == nil {
		t.Error("valid for a host it was not made for")
	}
	if !cert.Leaf.IPAddresses[0].Equal(net.ParseIP("10.0.0.5")) {
		t.Errorf("IP SANs %v", cert.Leaf.IPAddresses)
	}
	if _, _, err := SelfSignedCertificate(); err == nil {
		t.Error("no error without hosts")
	}
}
