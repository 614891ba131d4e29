package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// splitImportID reads `key`, `location|key` or `host|location|key`.
func splitImportID(id string) (host, location, key string, ok bool) {
	parts := strings.Split(id, "|")
	switch len(parts) {
	case 1:
		return "", "", parts[0], parts[0] != ""
	case 2:
		return "", parts[0], parts[1], parts[1] != ""
	case 3:
		return parts[0], parts[1], parts[2], parts[0] != "" && parts[2] != ""
	}
	return "", "", "", false
}

// importScope is the ImportState of a resource that manages one scope
// (settings, policy): it reads the location ("/" for the server scope) or
// host|location into the state and marks the import, and reports whether
// the ID was one.
func importScope(ctx context.Context, id string, state *tfsdk.State, p privateSetter, diags *diag.Diagnostics) bool {
	host, loc, ok := splitSettingsID(id)
	if !ok {
		diags.AddError("Invalid import ID",
			fmt.Sprintf("%q: use the location (\"Default Web Site/SMS_DP_SMSPKG$\"), \"/\" for the server scope, "+
				"or \"host|location\" (\"dp01.corp.example|\" for the server scope of a resource with its own host).", id))
		return false
	}
	diags.Append(state.SetAttribute(ctx, path.Root("location"), loc)...)
	if host != "" {
		diags.Append(state.SetAttribute(ctx, path.Root("host"), host)...)
	}
	diags.Append(state.SetAttribute(ctx, path.Root("id"), settingsID(host, loc))...)
	diags.Append(markImporting(ctx, p)...)
	return true
}
