package resources

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

// claimSingle registers the entry a single-entry resource's plan manages,
// so that a policy planned beside it for the same entry is refused
// (claims.go). Its ModifyPlan calls it with the planned values.
func claimSingle(pd *ProviderData, typeName, collection string, host, loc, key types.String, resp *resource.ModifyPlanResponse) {
	if pd == nil || host.IsUnknown() || loc.IsUnknown() || key.IsUnknown() || key.IsNull() {
		return
	}
	who := claimant{typeName: typeName, id: keyID(host.ValueString(), loc.ValueString(), key.ValueString())}
	c := claim{host: pd.claimHost(host), scope: ownership.Canonical(loc.ValueString()), collection: collection, key: ownership.Canonical(key.ValueString())}
	if msg := pd.claims.add(who, []claim{c}); msg != "" {
		resp.Diagnostics.AddError("Two resources manage the same request filtering entry", msg)
	}
}
