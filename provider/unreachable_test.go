package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestUnreachableHosts: unreachable_hosts, else IIS_UNREACHABLE_HOSTS, else
// "error"; anything else is a plan-time error on the argument that names
// both values.
func TestUnreachableHosts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attr    types.String
		env     string
		want    string
		wantErr bool
	}{
		{"default", types.StringNull(), "", "error", false},
		{"argument", types.StringValue("warn"), "", "warn", false},
		{"environment", types.StringNull(), "WARN", "warn", false},
		{"argument over environment", types.StringValue("error"), "warn", "error", false},
		{"misspelt argument", types.StringValue("warning"), "", "", true},
		{"misspelt environment", types.StringNull(), "ignore", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) (string, bool) {
				if k == "IIS_UNREACHABLE_HOSTS" && tc.env != "" {
					return tc.env, true
				}
				return "", false
			}
			s, d := resolve(Model{UnreachableHosts: tc.attr}, env)
			if tc.wantErr {
				if !d.HasError() || !strings.Contains(d.Errors()[0].Detail(), `"error"`) || !strings.Contains(d.Errors()[0].Detail(), `"warn"`) || d.Errors()[0].Summary() != "Invalid unreachable_hosts" {
					t.Fatalf("diagnostics %v; want one naming the values", d)
				}
				return
			}
			if d.HasError() || s.unreachable != tc.want {
				t.Fatalf("unreachable %q (%v); want %q", s.unreachable, d, tc.want)
			}
		})
	}
}
