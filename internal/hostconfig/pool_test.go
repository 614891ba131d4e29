package hostconfig

import (
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

func TestPoolSharesAStorePerHost(t *testing.T) {
	dials := 0
	p := NewPool(func(string) (remotefile.Runner, error) { dials++; return nil, nil }, winPath, 2, Optimized(), true)
	a, _ := p.Store("DP01.corp.example")
	b, _ := p.Store("dp01.corp.example")
	c, _ := p.Store("dp02.corp.example")
	if a != b || a == c || dials != 2 {
		t.Fatalf("stores %p %p %p after %d dials: one per host, whatever the case", a, b, c, dials)
	}
}
