package hostconfig

import (
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

func TestPoolSharesAStorePerHost(t *testing.T) {
	dials := 0
	p := NewPool(func(string) (remotefile.Runner, error) { dials++; return nil, nil }, winPath, 2, Optimized(), true, nil)
	a, _ := p.Store("DP01.corp.example")
	b, _ := p.Store("dp01.corp.example")
	c, _ := p.Store("dp02.corp.example")
	if a != b || a == c || dials != 2 {
		t.Fatalf("stores %p %p %p after %d dials: one per host, whatever the case", a, b, c, dials)
	}
}

func TestPoolCanonicalHost(t *testing.T) {
	dials := 0
	// As the provider names hosts: name and port, the default port filled in.
	canonical := func(h string) string {
		if !strings.Contains(h, ":") {
			h += ":5985"
		}
		return strings.ToLower(h)
	}
	p := NewPool(func(string) (remotefile.Runner, error) { dials++; return nil, nil }, winPath, 2, Optimized(), true, canonical)
	a, _ := p.Store("dp01")
	b, _ := p.Store("DP01:5985")
	c, _ := p.Store("dp01:5986")
	if a != b || a == c || dials != 2 {
		t.Fatalf("stores %p %p %p after %d dials: one per endpoint", a, b, c, dials)
	}
}
