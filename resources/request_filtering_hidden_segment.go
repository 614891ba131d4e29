package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// RequestFilteringHiddenSegment is iis_request_filtering_hidden_segment.
// IIS's hidden segments have no "allowed" flag: a segment in the list is
// refused (HTTP 404.8), one not in it is served. So this resource stands
// for the segment being *allowed* in its scope, and exists exactly as long
// as the segment is not hidden there.
type RequestFilteringHiddenSegment struct {
	data *ProviderData
}

var (
	_ resource.Resource                = (*RequestFilteringHiddenSegment)(nil)
	_ resource.ResourceWithConfigure   = (*RequestFilteringHiddenSegment)(nil)
	_ resource.ResourceWithImportState = (*RequestFilteringHiddenSegment)(nil)
	_ resource.ResourceWithModifyPlan  = (*RequestFilteringHiddenSegment)(nil)
)

// NewRequestFilteringHiddenSegment is the resource's constructor.
func NewRequestFilteringHiddenSegment() resource.Resource { return &RequestFilteringHiddenSegment{} }

type segmentModel struct {
	ID               types.String `tfsdk:"id"`
	Segment          types.String `tfsdk:"segment"`
	Location         types.String `tfsdk:"location"`
	Host             types.String `tfsdk:"host"`
	AllowMissingSite types.Bool   `tfsdk:"allow_missing_site"`
}

func (r *RequestFilteringHiddenSegment) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_request_filtering_hidden_segment"
}

func (r *RequestFilteringHiddenSegment) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Allows one hidden segment: makes sure a folder or file name such as `bin` is **not** in IIS request filtering's " +
			"hidden segments (`system.webServer/security/requestFiltering/hiddenSegments` in applicationHost.config), server-wide or for one location, " +
			"so that URLs containing it are served instead of refused with HTTP 404.8. The resource exists while the segment is allowed; " +
			"destroying it hides the segment again as it was.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("`segment` for the server scope, `location|segment` for a location, and `host|location|segment` when `host` is set."),
			"segment": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The path segment to allow, e.g. `bin`: one folder or file name, without `/`. IIS compares hidden segments " +
					"case-insensitively, so `BIN` is the same segment. Changing it (other than its case) replaces the resource.",
				Validators:    []validator.String{segmentValidator{}},
				PlanModifiers: []planmodifier.String{requiresReplaceUnlessCaseOnly()},
			},
			"location": locationAttribute(", where the segment's `<add>` entry is removed; or an IIS location path such as " +
				"`Default Web Site/SMS_DP_SMSPKG$`, where a `<remove segment=\"...\"/>` stops the inherited entry (in a `<location path=\"...\">` block, created when missing)."),
			"host":               hostAttribute(),
			"allow_missing_site": allowMissingSiteAttribute(),
		},
	}
}

func (r *RequestFilteringHiddenSegment) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configure(req.ProviderData, &resp.Diagnostics)
}

func segmentWhat(seg string) string { return fmt.Sprintf("hidden segment %q", seg) }

// segmentEntry is what a hidden segment resource manages, for the record:
// the segment allowed (not hidden) at the scope.
func segmentEntry(host types.String, loc, seg string) managed {
	state := func(d *apphost.Doc) string {
		hit, err := d.HiddenSegment(loc, seg)
		switch {
		case err != nil:
			return "unreadable"
		case hit != nil:
			return "hidden"
		}
		return "allowed"
	}
	return managed{
		kind: segmentTypeName, host: host.ValueString(), location: loc, key: seg, want: "allowed",
		id:       keyID(host.ValueString(), loc, seg),
		overlaps: policiesOver(segmentTypeName, loc, seg),
		holds:    func(d *apphost.Doc, want string) bool { return state(d) == want },
		current:  state,
		exists:   func(d *apphost.Doc) bool { return state(d) == "hidden" },
	}
}

// ModifyPlan checks the apply's claim on the segment at plan time (see
// planClaim).
func (r *RequestFilteringHiddenSegment) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan segmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A policy planned beside it for the same entry is refused.
	claimSingle(r.data, segmentTypeName, "hiddenSegments", plan.Host, plan.Location, plan.Segment, resp)
	loc, seg := plan.Location.ValueString(), plan.Segment.ValueString()
	r.data.planClaim(ctx, req, resp, plan.Host, segmentEntry(plan.Host, loc, seg).siteOptional(plan.AllowMissingSite).
		known(plan.Host, plan.Location, plan.Segment, plan.AllowMissingSite), func(h string) string { return where(h, loc, segmentWhat(seg)) })
}

// allowSegment allows the segment; the first touch records what it took
// out, later claims keep that record.
func allowSegment(loc, seg string) claimOp {
	return func(d *apphost.Doc, undo json.RawMessage) ([]byte, json.RawMessage, error) {
		out, own, err := d.AllowSegment(loc, seg)
		if err != nil || undo != nil {
			return out, undo, err
		}
		j, err := json.Marshal(own)
		return out, j, err
	}
}

func (r *RequestFilteringHiddenSegment) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan segmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, seg := plan.Location.ValueString(), plan.Segment.ValueString()
	var c ownerCache
	host, ok := r.data.edit(ctx, plan.Host, "allow", func(h string) string { return where(h, loc, segmentWhat(seg)) },
		segmentEntry(plan.Host, loc, seg).siteOptional(plan.AllowMissingSite).claim(&c, allowSegment(loc, seg)), &resp.Diagnostics)
	if !ok {
		return
	}
	tflog.Info(ctx, "hidden segment allowed", map[string]any{"host": host, "location": loc, "segment": seg, "owner": c.Owner})
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = types.StringValue(keyID(plan.Host.ValueString(), loc, seg))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read: the segment hidden again at the scope (its entry back at the server
// scope, the location's <remove> gone, or a scope above that hides it) is
// drift: the resource is gone from the state and the plan allows it again.
func (r *RequestFilteringHiddenSegment) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state segmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, seg := state.Location.ValueString(), state.Segment.ValueString()
	// Read before doneImporting: the request and the response may share
	// one private state.
	use := readUseOf(ctx, req.Private)
	doc, store, host, ok := r.data.doc(ctx, state.Host, use, func(h string) string { return where(h, loc, segmentWhat(seg)) }, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(doneImporting(ctx, resp.Private)...)
	hit, err := doc.HiddenSegment(loc, seg)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read "+where(host, loc, segmentWhat(seg)), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
		return
	}
	imported := use == needing
	if hit != nil && imported {
		resp.Diagnostics.AddError("Cannot import "+where(host, loc, segmentWhat(seg))+": it is hidden there",
			fmt.Sprintf("%s on %s: line %d hides %q at that scope (<add segment=%q /> in %s), so IIS refuses URLs containing it with HTTP 404.8. "+
				"An iis_request_filtering_hidden_segment resource stands for a segment that is allowed (not hidden), so a hidden segment has nothing to import. "+
				"To allow %q, remove the import (block or command) and keep the resource in the configuration: apply takes the entry out, and destroy puts it back. "+
				"To keep it hidden, leave it out of the configuration: hidden segments need no resource.",
				store.Path(), host, hit.Line, seg, hit.Segment, describeScopeOf(hit.Scope), seg))
		return
	}
	if imported {
		c, warning, err := segmentEntry(state.Host, loc, seg).adopt(doc)
		if err != nil {
			resp.Diagnostics.AddError("Cannot import "+where(host, loc, segmentWhat(seg)), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
			return
		}
		if warning != "" {
			resp.Diagnostics.AddWarning("Importing "+where(host, loc, segmentWhat(seg))+" takes it over", warning)
		}
		resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	}
	if hit != nil {
		tflog.Warn(ctx, "hidden segment is hidden again on the host; it will be planned for creation", map[string]any{"host": host, "location": loc, "segment": seg, "line": hit.Line, "scope": hit.Scope})
		resp.State.RemoveResource(ctx)
		return
	}
	if state.ID.IsNull() || state.ID.ValueString() == "" {
		state.ID = types.StringValue(keyID(state.Host.ValueString(), loc, seg))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update only happens for a change of the segment's case, which is the
// same IIS segment: nothing to write.
func (r *RequestFilteringHiddenSegment) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state segmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringHiddenSegment) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state segmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, seg := state.Location.ValueString(), state.Segment.ValueString()
	var warnings []string
	host, ok := r.data.edit(ctx, state.Host, "hide again", func(h string) string { return where(h, loc, segmentWhat(seg)) },
		segmentEntry(state.Host, loc, seg).release(c, &warnings, func(d *apphost.Doc, undo json.RawMessage) ([]byte, error) {
			var own apphost.SegmentOwnership
			if undo != nil {
				if err := json.Unmarshal(undo, &own); err != nil {
					return nil, fmt.Errorf("the ownership record's entry is damaged (%v)", err)
				}
			}
			return d.RestoreSegment(loc, seg, own)
		}), &resp.Diagnostics)
	if ok {
		for _, w := range warnings {
			resp.Diagnostics.AddWarning("Destroy of "+where(host, loc, segmentWhat(seg)), w)
		}
	}
}

// ImportState takes `segment`, `location|segment` or `host|location|segment`.
func (r *RequestFilteringHiddenSegment) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	host, loc, seg, ok := splitImportID(req.ID)
	if ok {
		ok = segmentProblem(seg) == ""
	}
	if !ok {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q: use the segment (\"bin\") for the server scope, \"location|segment\" (\"Default Web Site/SMS_DP_SMSPKG$|bin\"), "+
				"or \"host|location|segment\" (\"dp01.corp.example||bin\") for a resource with its own host.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("segment"), seg)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("location"), loc)...)
	if host != "" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("host"), host)...)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), keyID(host, loc, seg))...)
	resp.Diagnostics.Append(markImporting(ctx, resp.Private)...)
}

type segmentValidator struct{}

func (segmentValidator) Description(context.Context) string {
	return `one folder or file name as it appears in URLs (e.g. "bin", "App_Data", "web.config"), without "/" or "\"`
}
func (v segmentValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

// segmentProblem says why s cannot be a hidden segment, or "" when it can.
// IIS compares hidden segments with whole path segments, so a value with a
// slash would never match anything.
func segmentProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > 260:
		return "it is longer than 260 characters"
	case strings.ContainsAny(s, `/\`):
		return `it holds "/" or "\": IIS matches hidden segments against single path segments, so manage each folder name separately`
	case s == "." || s == "..":
		return `"." and ".." are not folder names`
	case strings.TrimSpace(s) != s:
		return "it starts or ends with white space"
	case strings.ContainsAny(s, `"<>|*?`):
		return `it holds a character that cannot be in a folder or file name (" < > | * ?)`
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "it holds a control character"
	}
	return ""
}

func (v segmentValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if problem := segmentProblem(s); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid hidden segment",
			fmt.Sprintf("segment = %q: %s. A hidden segment is %s.", s, problem, v.Description(context.Background())))
	}
}
