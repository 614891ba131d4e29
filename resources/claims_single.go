package resources

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The single-entry resources register the entry they manage, so that a
// policy planned beside them for the same entry is refused (claims.go).

// policyClaim is called by the resource's ModifyPlan.
func (r *RequestFilteringExtension) policyClaim(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var host, loc, ext types.String
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	req.Plan.GetAttribute(ctx, pathOf("host"), &host)
	req.Plan.GetAttribute(ctx, pathOf("location"), &loc)
	req.Plan.GetAttribute(ctx, pathOf("extension"), &ext)
	claimSingle(r.data, extensionTypeName, "fileExtensions", host, loc, ext, resp)
}

// policyClaim is called by the resource's ModifyPlan.
func (r *RequestFilteringHiddenSegment) policyClaim(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var host, loc, seg types.String
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	req.Plan.GetAttribute(ctx, pathOf("host"), &host)
	req.Plan.GetAttribute(ctx, pathOf("location"), &loc)
	req.Plan.GetAttribute(ctx, pathOf("segment"), &seg)
	claimSingle(r.data, segmentTypeName, "hiddenSegments", host, loc, seg, resp)
}

func claimSingle(pd *ProviderData, typeName, collection string, host, loc, key types.String, resp *resource.ModifyPlanResponse) {
	if host.IsUnknown() || loc.IsUnknown() || key.IsUnknown() || key.IsNull() {
		return
	}
	who := claimant{typeName: typeName, id: keyID(host.ValueString(), loc.ValueString(), key.ValueString())}
	c := claim{host: pd.claimHost(host), scope: claimScope(loc.ValueString()), collection: collection, key: claimKey(key.ValueString())}
	if msg := pd.claims.add(who, []claim{c}); msg != "" {
		resp.Diagnostics.AddError("Two resources manage the same request filtering entry", msg)
	}
}
