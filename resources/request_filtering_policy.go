package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

// RequestFilteringPolicy is iis_request_filtering_policy: the request
// filtering of one scope in one resource, so that a fleet costs one
// resource per DP and scope instead of one per entry (Terraform's own cost
// grows with the number of resources, not of entries).
type RequestFilteringPolicy struct {
	data *ProviderData
}

var (
	_ resource.Resource                = (*RequestFilteringPolicy)(nil)
	_ resource.ResourceWithConfigure   = (*RequestFilteringPolicy)(nil)
	_ resource.ResourceWithImportState = (*RequestFilteringPolicy)(nil)
	_ resource.ResourceWithModifyPlan  = (*RequestFilteringPolicy)(nil)
)

// NewRequestFilteringPolicy is the resource's constructor.
func NewRequestFilteringPolicy() resource.Resource { return &RequestFilteringPolicy{} }

type policyModel struct {
	ID                    types.String `tfsdk:"id"`
	Host                  types.String `tfsdk:"host"`
	Location              types.String `tfsdk:"location"`
	FileExtensions        types.Map    `tfsdk:"file_extensions"`
	AllowedHiddenSegments types.Set    `tfsdk:"allowed_hidden_segments"`
	Verbs                 types.Map    `tfsdk:"verbs"`
	ApplyToWebDAV         types.Bool   `tfsdk:"apply_to_webdav"`
	Exclusive             types.Bool   `tfsdk:"exclusive"`
	AllowMissingSite      types.Bool   `tfsdk:"allow_missing_site"`
}

func (r *RequestFilteringPolicy) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_request_filtering_policy"
}

func (r *RequestFilteringPolicy) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The request filtering of one scope in one resource: file extensions, allowed hidden segments and verbs " +
			"(`system.webServer/security/requestFiltering` in applicationHost.config), server-wide or for one location. " +
			"Each entry is edited in place, adopted and restored exactly as the single-entry resources do, in one write per apply. " +
			"For a fleet, one policy per DP and scope replaces one resource per entry. " +
			"A plan that has this resource and a single-entry resource (`iis_request_filtering_extension`, `iis_request_filtering_hidden_segment`) " +
			"manage the same entry of the same DP and scope is refused.",
		Attributes: map[string]schema.Attribute{
			"id":   idAttribute("the location (`/` for the server scope), and `host|location` when `host` is set."),
			"host": hostAttribute(),
			"location": locationAttribute(", or an IIS location path such as `Default Web Site/SMS_DP_SMSPKG$` " +
				"(a `<location path=\"...\">` block, created when missing)."),
			"file_extensions": schema.MapAttribute{
				ElementType: types.BoolType,
				Optional:    true,
				MarkdownDescription: "File extensions (with their leading dot) to allow (`true`) or deny (`false`, HTTP 404.7) in the scope, " +
					"e.g. `{ \".config\" = true, \".mdb\" = true }`. An existing entry is adopted and gets its earlier value back on destroy; " +
					"a new one is added (after a `<remove>` when the scope inherits one) and removed on destroy. IIS compares extensions case-insensitively.",
				Validators: []validator.Map{mapvalidator.KeysAre(extensionValidator{})},
			},
			"allowed_hidden_segments": schema.SetAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Hidden segments (such as `bin`) to let through in the scope (HTTP 404.8 otherwise), " +
					"as `iis_request_filtering_hidden_segment` does for one.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(segmentValidator{})},
			},
			"verbs": schema.MapAttribute{
				ElementType: types.BoolType,
				Optional:    true,
				MarkdownDescription: "HTTP verbs to allow (`true`) or deny (`false`, HTTP 404.6) in the scope, e.g. `{ TRACE = false }`, " +
					"with the same adoption and restore rules as `file_extensions`.",
				Validators: []validator.Map{mapvalidator.KeysAre(verbValidator{})},
			},
			"apply_to_webdav": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "`applyToWebDAV` of the scope's `fileExtensions`, `verbs` and `hiddenSegments`: whether their rules " +
					"also apply to WebDAV requests (IIS default `true`). Unset: not managed. Destroy gives the earlier values back.",
			},
			"allow_missing_site": allowMissingSiteAttribute(),
			"exclusive": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "When `true`, the scope's own entries that the policy does not list are removed: `<add>` entries of " +
					"`fileExtensions` and `verbs`, and allowances (`<remove segment>`) of `hiddenSegments`, so the lists are the whole " +
					"request filtering of the scope (entries inherited from the scopes above are not touched). A hand-made entry " +
					"shows up as drift. Destroy (or `false`) puts the removed entries back, byte for byte. Default `false`.",
			},
		},
	}
}

func (r *RequestFilteringPolicy) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configure(req.ProviderData, &resp.Diagnostics)
}

// policyWhat names a policy for messages.
const policyWhat = "the request filtering policy"

// ModifyPlan registers the entries the policy manages and refuses a plan in
// which another resource manages one of them (see claims.go).
func (r *RequestFilteringPolicy) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan policyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Host.IsUnknown() || plan.Location.IsUnknown() {
		return
	}
	host, sc := r.data.claimHost(plan.Host), ownership.Canonical(plan.Location.ValueString())
	var claims []claim
	add := func(collection string, keys []string) {
		for _, k := range keys {
			claims = append(claims, claim{host: host, scope: sc, collection: collection, key: ownership.Canonical(k)})
		}
	}
	exts, _ := boolMap(ctx, plan.FileExtensions)
	verbs, _ := boolMap(ctx, plan.Verbs)
	segs, _ := stringSet(ctx, plan.AllowedHiddenSegments)
	add("fileExtensions", sortedKeys(exts))
	add("hiddenSegments", segs)
	add("verbs", sortedKeys(verbs))
	if plan.Exclusive.ValueBool() {
		add("fileExtensions", []string{"*"})
		add("hiddenSegments", []string{"*"})
		add("verbs", []string{"*"})
	}
	who := claimant{typeName: policyTypeName, id: settingsID(plan.Host.ValueString(), plan.Location.ValueString())}
	if msg := r.data.claims.add(who, claims); msg != "" {
		resp.Diagnostics.AddError("Two resources manage the same request filtering entry", msg)
		return
	}
	// Then the DP's ownership record, when it can be read (see planClaim).
	var d diag.Diagnostics
	want, ok := policyWant(ctx, plan, &d)
	if !ok {
		return // values inside the lists are known only at apply
	}
	loc := plan.Location.ValueString()
	r.data.planClaim(ctx, req, resp, plan.Host, policyEntry(plan.Host, want).siteOptional(plan.AllowMissingSite).
		known(plan.Host, plan.Location, plan.FileExtensions, plan.AllowedHiddenSegments, plan.Verbs, plan.ApplyToWebDAV, plan.Exclusive, plan.AllowMissingSite),
		func(h string) string { return where(h, loc, policyWhat) })
}

func (r *RequestFilteringPolicy) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan policyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	want, ok := policyWant(ctx, plan, &resp.Diagnostics)
	if !ok {
		return
	}
	var c ownerCache
	r.write(ctx, plan, "set", policyEntry(plan.Host, want).siteOptional(plan.AllowMissingSite).claim(&c, policyOp(want)), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = types.StringValue(settingsID(plan.Host.ValueString(), plan.Location.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringPolicy) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state policyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	want, ok := policyWant(ctx, plan, &resp.Diagnostics)
	if !ok {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.write(ctx, plan, "update", policyEntry(plan.Host, want).siteOptional(plan.AllowMissingSite).claim(&c, policyOp(want)), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = state.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringPolicy) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state policyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	want, ok := policyWant(ctx, state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	loc := state.Location.ValueString()
	var warnings []string
	host, ok := r.data.edit(ctx, state.Host, "remove", func(h string) string { return where(h, loc, policyWhat) },
		policyEntry(state.Host, want).release(c, &warnings, func(d *apphost.Doc, undo json.RawMessage) ([]byte, error) {
			rec, err := decodePolicyRecord(undo)
			if err != nil {
				return nil, err
			}
			if rec.empty() {
				// Neither the record nor this resource knows what was there
				// (imported before the record existed, or a record a tool
				// dropped): what it manages counts as added, and destroy
				// removes it, as the single-entry resources do.
				rec = importedRecord(want)
			}
			out, _, err := releasePolicy(d, loc, rec)
			return out, err
		}), &resp.Diagnostics)
	if ok {
		tflog.Info(ctx, "request filtering policy removed", map[string]any{"host": host, "location": loc})
		for _, w := range warnings {
			resp.Diagnostics.AddWarning("Destroy of "+where(host, loc, policyWhat), w)
		}
	}
}

// write runs one edit of the policy's scope, as one write.
func (r *RequestFilteringPolicy) write(ctx context.Context, m policyModel, action string, fn hostconfig.Edit, diags *diag.Diagnostics) {
	loc := m.Location.ValueString()
	if host, ok := r.data.edit(ctx, m.Host, action, func(h string) string { return where(h, loc, policyWhat) }, fn, diags); ok {
		tflog.Info(ctx, "request filtering policy written", map[string]any{"host": host, "location": loc, "action": action})
	}
}

func (r *RequestFilteringPolicy) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state policyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	importing := readUseOf(ctx, req.Private) == needing
	loc := state.Location.ValueString()
	doc, store, host, ok := r.data.doc(ctx, state.Host, readUseOf(ctx, req.Private), func(h string) string { return where(h, loc, policyWhat) }, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(doneImporting(ctx, resp.Private)...)
	if err := readPolicy(ctx, doc, &state, importing); err != nil {
		resp.Diagnostics.AddError("Cannot read "+where(host, loc, policyWhat), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
		return
	}
	if importing {
		// The import takes the scope over from whoever the record says
		// manages it, with the record's undo: its destroy gives back what
		// was there before Terraform.
		want, ok := policyWant(ctx, state, &resp.Diagnostics)
		if !ok {
			return
		}
		c, warning, err := policyEntry(state.Host, want).adopt(doc)
		if err != nil {
			resp.Diagnostics.AddError("Cannot import "+where(host, loc, policyWhat), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
			return
		}
		if warning != "" {
			resp.Diagnostics.AddWarning("Importing "+where(host, loc, policyWhat)+" takes it over", warning)
		}
		resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	}
	if state.ID.IsNull() || state.ID.ValueString() == "" {
		state.ID = types.StringValue(settingsID(state.Host.ValueString(), loc))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// ImportState takes the location ("/" for the server scope) or
// host|location. The scope's own entries become the managed ones.
func (r *RequestFilteringPolicy) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if importScope(ctx, req.ID, &resp.State, resp.Private, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("exclusive"), false)...)
	}
}

// sortedKeys returns a map's keys in a stable order (edits apply in it, and
// are undone in the reverse).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// containsFold reports whether list has s, compared as IIS compares keys.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
