package provider

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestPrefetchHosts: prefetch_hosts, else IIS_PREFETCH_HOSTS; hosts not
// known until apply are left out, and a bad host in the environment is an
// error on the argument, as the schema makes one of a bad host in it.
func TestPrefetchHosts(t *testing.T) {
	list := func(vs ...types.String) types.List {
		elems := make([]attr.Value, len(vs))
		for i, v := range vs {
			elems[i] = v
		}
		return types.ListValueMust(types.StringType, elems)
	}
	for _, tc := range []struct {
		name    string
		attr    types.List
		env     string // IIS_PREFETCH_HOSTS; "-" unset
		want    []string
		wantErr string
	}{
		{"unset", types.ListNull(types.StringType), "-", nil, ""},
		{"argument", list(types.StringValue("dp01"), types.StringValue(" dp02:5986 ")), "-", []string{"dp01", "dp02:5986"}, ""},
		{"argument wins over environment", list(types.StringValue("dp01")), "dp09", []string{"dp01"}, ""},
		{"an element unknown until apply", list(types.StringValue("dp01"), types.StringUnknown()), "-", []string{"dp01"}, ""},
		{"the list unknown until apply", types.ListUnknown(types.StringType), "dp09", nil, ""},
		{"environment", types.ListNull(types.StringType), "dp01, DP02:5986,,", []string{"dp01", "DP02:5986"}, ""},
		{"environment with a URL", types.ListNull(types.StringType), "dp01,https://dp02", nil, "Invalid IIS_PREFETCH_HOSTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model{PrefetchHosts: tc.attr}
			env := func(k string) (string, bool) {
				if k == "IIS_PREFETCH_HOSTS" && tc.env != "-" {
					return tc.env, true
				}
				return "", false
			}
			s, d := resolve(m, env)
			if tc.wantErr != "" {
				if !d.HasError() || !strings.Contains(d.Errors()[0].Summary(), tc.wantErr) || !strings.Contains(d.Errors()[0].Detail(), "https://dp02") {
					t.Fatalf("diagnostics %v; want %q naming https://dp02", d, tc.wantErr)
				}
				return
			}
			for _, e := range d.Errors() {
				if strings.Contains(e.Summary(), "IIS_PREFETCH_HOSTS") {
					t.Fatalf("unexpected %s: %s", e.Summary(), e.Detail())
				}
			}
			if !slices.Equal(s.prefetch, tc.want) {
				t.Fatalf("prefetch %q, want %q", s.prefetch, tc.want)
			}
		})
	}
}
