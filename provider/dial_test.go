package provider

import (
	"context"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
)

// TestEndpoint: spellings of one WinRM endpoint share a key (so one Store:
// one read per run, one write lock, one shell); other endpoints do not.
func TestEndpoint(t *testing.T) {
	s := settings{port: 5985}
	for _, tc := range []struct{ a, b string }{
		{"dp01", "DP01:5985"},
		{"dp01.corp.example", "DP01.Corp.Example"},
		{"[fd00::1]", "[FD00::1]:5985"},
	} {
		if s.endpoint(tc.a) != s.endpoint(tc.b) {
			t.Errorf("%q and %q: keys %q and %q, want one", tc.a, tc.b, s.endpoint(tc.a), s.endpoint(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"dp01", "dp01:5986"},
		{"dp01", "dp02"},
	} {
		if s.endpoint(tc.a) == s.endpoint(tc.b) {
			t.Errorf("%q and %q share the key %q", tc.a, tc.b, s.endpoint(tc.a))
		}
	}
}

// TestPoolOneStorePerEndpoint: the provider's pool gives "dp01" (at the
// provider's port) and "DP01:5985" one Store.
func TestPoolOneStorePerEndpoint(t *testing.T) {
	s := settings{host: "dp01", port: 5985, username: "u", password: "p", auth: "basic", allowUnencrypted: true, configPath: `%windir%\x`, backups: 1}
	p := s.pool(hostconfig.Optimized(), true)
	a, err := p.Store(context.Background(), "dp01")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Store(context.Background(), "DP01:5985")
	c, _ := p.Store(context.Background(), "dp01:5986")
	if a != b || a == c {
		t.Errorf("stores %p %p %p: want the first two shared, the third apart", a, b, c)
	}
}
