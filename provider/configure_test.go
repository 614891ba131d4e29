package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// configure runs the provider's Configure with the given arguments set and
// every other one null, as Terraform sends a provider block.
func configure(t *testing.T, args map[string]tftypes.Value) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the provider schema is not an object: %v", sr.Schema.Type())
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := args[name]; ok {
			vals[name] = v
			continue
		}
		vals[name] = tftypes.NewValue(at, nil)
	}
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)}}, &resp)
	return resp.Diagnostics
}

// TestInsecureWarns: turning certificate verification off is allowed but
// warned about, on the insecure argument, with the safer setting named.
func TestInsecureWarns(t *testing.T) {
	for _, v := range []string{"IIS_AUTH", "IIS_CA_CERT", "IIS_TLS_SERVER_NAME", "IIS_PORT"} {
		t.Setenv(v, "") // the machine's settings must not change the answer
	}
	for _, insecure := range []bool{true, false} {
		diags := configure(t, map[string]tftypes.Value{
			"host":     tftypes.NewValue(tftypes.String, "dp01.corp.example"),
			"https":    tftypes.NewValue(tftypes.Bool, true),
			"insecure": tftypes.NewValue(tftypes.Bool, insecure),
			"username": tftypes.NewValue(tftypes.String, "svc-iis"),
			"password": tftypes.NewValue(tftypes.String, "Passw0rd-x"),
		})
		if diags.HasError() {
			t.Fatalf("insecure=%t: errors %v", insecure, diags)
		}
		warns := diags.Warnings()
		if !insecure {
			if len(warns) != 0 {
				t.Errorf("insecure=false: warnings %v", warns)
			}
			continue
		}
		if len(warns) != 1 {
			t.Fatalf("insecure=true: %d warnings, want 1: %v", len(warns), warns)
		}
		w := warns[0]
		if w.Summary() != "TLS certificate verification is off" || !strings.Contains(w.Detail(), "ca_cert") {
			t.Errorf("warning %q: %q", w.Summary(), w.Detail())
		}
		if wp, ok := w.(diag.DiagnosticWithPath); !ok || wp.Path().String() != "insecure" {
			t.Errorf("warning not on the insecure argument: %v", w)
		}
	}
}
