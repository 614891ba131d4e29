package resources

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestImportScope: the scope resources (settings, policy) read the same
// import IDs into the same attributes, refuse the same malformed ones with
// the forms that work.
func TestImportScope(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		id                  string
		host, location, rid string // "" host: null
		err                 string
	}{
		{id: "/", location: "", rid: "/"},
		{id: "Default Web Site/SMS_DP_SMSPKG$", location: "Default Web Site/SMS_DP_SMSPKG$", rid: "Default Web Site/SMS_DP_SMSPKG$"},
		{id: "dp01.corp.example|Default Web Site", host: "dp01.corp.example", location: "Default Web Site", rid: "dp01.corp.example|Default Web Site"},
		{id: "dp01.corp.example|", host: "dp01.corp.example", location: "", rid: "dp01.corp.example|"},
		{id: "|Default Web Site", err: `"|Default Web Site": use the location ("Default Web Site/SMS_DP_SMSPKG$"), "/" for the server scope, or "host|location"`},
		{id: "/Default Web Site", err: `"/Default Web Site": use the location`},
		{id: "", err: `"": use the location`},
		{id: "dp01|Default Web Site|.config", err: `"dp01|Default Web Site|.config": use the location`},
	}
	for _, r := range []resource.Resource{&RequestFilteringSettings{}, &RequestFilteringPolicy{}} {
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		typ := sr.Schema.Type().TerraformType(ctx)
		for _, c := range cases {
			state := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(typ, nil)}
			p := fakePrivate{}
			var diags diag.Diagnostics
			ok := importScope(ctx, c.id, &state, p, &diags)
			if ok == (c.err != "") {
				t.Errorf("%T %q: importScope said %t", r, c.id, ok)
			}
			if c.err != "" {
				if !diags.HasError() || !strings.Contains(diags[0].Detail(), c.err) {
					t.Errorf("%T %q: want the error %q, got %v", r, c.id, c.err, diags)
				}
				continue
			}
			if diags.HasError() {
				t.Errorf("%T %q: %v", r, c.id, diags)
				continue
			}
			want := map[string]attr.Value{"id": types.StringValue(c.rid), "location": types.StringValue(c.location), "host": types.StringNull()}
			if c.host != "" {
				want["host"] = types.StringValue(c.host)
			}
			for name, v := range want {
				var got attr.Value
				if d := state.GetAttribute(ctx, path.Root(name), &got); d.HasError() {
					t.Fatalf("%T %q: %s: %v", r, c.id, name, d)
				}
				if !got.Equal(v) {
					t.Errorf("%T %q: %s = %v, want %v", r, c.id, name, got, v)
				}
			}
			if len(p[importingKey]) == 0 {
				t.Errorf("%T %q: the import is not marked in private state", r, c.id)
			}
		}
	}
}

// fakePrivate is a resource's private state (the framework's own cannot be
// made outside it).
type fakePrivate map[string][]byte

func (f fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	f[key] = value
	return nil
}
