package hostconfig

import (
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// TestPoolStorePerHost: spellings of one host share a Store; other hosts
// (or ports) get their own, each dialled once.
func TestPoolStorePerHost(t *testing.T) {
	// As the provider names hosts: name and port, the default port filled in.
	withPort := func(h string) string {
		if !strings.Contains(h, ":") {
			h += ":5985"
		}
		return strings.ToLower(h)
	}
	for _, tc := range []struct {
		name           string
		canonical      func(string) string
		same, distinct [2]string
	}{
		{"case folded by default", nil, [2]string{"DP01.corp.example", "dp01.corp.example"}, [2]string{"dp01.corp.example", "dp02.corp.example"}},
		{"the provider's endpoint names", withPort, [2]string{"dp01", "DP01:5985"}, [2]string{"dp01", "dp01:5986"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dials := 0
			p := NewPool(func(string) (remotefile.Runner, error) { dials++; return nil, nil }, winPath, 2, Optimized(), true, tc.canonical)
			a, _ := p.Store(tc.same[0])
			b, _ := p.Store(tc.same[1])
			c, _ := p.Store(tc.distinct[1])
			if a != b || a == c || dials != 2 {
				t.Fatalf("stores %p %p %p after %d dials: want %q and %q shared, %q apart", a, b, c, dials, tc.same[0], tc.same[1], tc.distinct[1])
			}
		})
	}
}
