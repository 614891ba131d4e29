package resources

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// hostAttribute is the optional per-resource host every resource has, so
// that one configuration (one provider block) manages a fleet of DPs with
// for_each: Terraform cannot for_each over provider blocks.
func hostAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "The distribution point to manage, as `name` or `name:port`, instead of the provider's `host`. " +
			"Credentials and transport settings come from the provider. Lets one provider block manage many DPs with `for_each`. " +
			"Changing it replaces the resource.",
		Validators:    []validator.String{hostValidator{}},
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
}

// idAttribute is a resource's computed import ID, described by importID.
func idAttribute(importID string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: "The import ID: " + importID,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// locationAttribute is the scope of a resource: "" for the server, or an
// IIS location path; scope says what a location path means for it.
func locationAttribute(scope string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		Default:             stringdefault.StaticString(""),
		MarkdownDescription: "`\"\"` (the default) for the server scope" + scope + " Changing it replaces the resource.",
		Validators:          []validator.String{locationValidator{}},
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
}

// SplitHostPort splits `name` or `name:port` (IPv6 in brackets); port is 0
// when absent.
func SplitHostPort(s string) (host string, port int, err error) {
	if !strings.Contains(s, ":") || (strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")) {
		return strings.Trim(s, "[]"), 0, nil
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("port %q is not a TCP port from 1 to 65535", p)
	}
	return h, n, nil
}

type hostValidator struct{}

func (hostValidator) Description(context.Context) string {
	return "a host name or address, optionally with :port (e.g. dp01.corp.example or dp01:5986)"
}
func (v hostValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v hostValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	h, _, err := SplitHostPort(s)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid host", fmt.Sprintf("host = %q: %v. Use %s.", s, err, v.Description(context.Background())))
	case h == "" || strings.ContainsAny(h, " /\\|@\"'") || strings.Contains(s, "://"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid host", fmt.Sprintf("host = %q: use %s, without a scheme, path or user.", s, v.Description(context.Background())))
	}
}
