package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// RequestFilteringExtension is iis_request_filtering_extension.
type RequestFilteringExtension struct {
	data *ProviderData
}

var (
	_ resource.Resource                = (*RequestFilteringExtension)(nil)
	_ resource.ResourceWithConfigure   = (*RequestFilteringExtension)(nil)
	_ resource.ResourceWithImportState = (*RequestFilteringExtension)(nil)
	_ resource.ResourceWithModifyPlan  = (*RequestFilteringExtension)(nil)
)

// NewRequestFilteringExtension is the resource's constructor.
func NewRequestFilteringExtension() resource.Resource { return &RequestFilteringExtension{} }

type extensionModel struct {
	ID               types.String `tfsdk:"id"`
	Extension        types.String `tfsdk:"extension"`
	Allowed          types.Bool   `tfsdk:"allowed"`
	Location         types.String `tfsdk:"location"`
	Host             types.String `tfsdk:"host"`
	AllowMissingSite types.Bool   `tfsdk:"allow_missing_site"`
}

func (r *RequestFilteringExtension) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_request_filtering_extension"
}

func (r *RequestFilteringExtension) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Allows or denies one file extension in IIS request filtering " +
			"(`system.webServer/security/requestFiltering/fileExtensions` in applicationHost.config), server-wide or for one location.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("`extension` for the server scope, `location|extension` for a location, and `host|location|extension` when `host` is set."),
			"extension": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The file extension with its leading dot, e.g. `.config`. IIS compares extensions " +
					"case-insensitively, so an existing `.CONFIG` entry is the same rule. Changing it (other than its case) replaces the resource.",
				Validators:    []validator.String{extensionValidator{}},
				PlanModifiers: []planmodifier.String{requiresReplaceUnlessCaseOnly()},
			},
			"allowed": schema.BoolAttribute{
				Required:            true,
				MarkdownDescription: "`true` lets requests for the extension through; `false` blocks them with HTTP 404.7.",
			},
			"location": locationAttribute(", or an IIS location path such as " +
				"`Default Web Site/SMS_DP_SMSPKG$` (a `<location path=\"...\">` block, created when missing)."),
			"host":               hostAttribute(),
			"allow_missing_site": allowMissingSiteAttribute(),
		},
	}
}

// requiresReplaceUnlessCaseOnly: ".config" and ".CONFIG" are one IIS rule,
// so a change of case is an in-place update of the state, not a new entry.
func requiresReplaceUnlessCaseOnly() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString())
	}, "Replaces the resource when the extension changes other than in case.", "Replaces the resource when the extension changes other than in case.")
}

func (r *RequestFilteringExtension) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configure(req.ProviderData, &resp.Diagnostics)
}

// extensionEntry is what an extension resource manages, for the record.
func extensionEntry(host types.String, loc, ext string, allowed bool) managed {
	return managed{
		kind: extensionTypeName, host: host.ValueString(), location: loc, key: ext, want: allowedText(allowed),
		id:       keyID(host.ValueString(), loc, ext),
		overlaps: policiesOver(extensionTypeName, loc, ext),
		holds: func(d *apphost.Doc, want string) bool {
			rule, err := d.FileExtension(loc, ext)
			return err == nil && rule != nil && allowedText(rule.Allowed) == want
		},
		current: func(d *apphost.Doc) string {
			rule, err := d.FileExtension(loc, ext)
			switch {
			case err != nil:
				return "unreadable"
			case rule == nil:
				return "absent"
			}
			return allowedText(rule.Allowed)
		},
		exists: func(d *apphost.Doc) bool {
			rule, err := d.FileExtension(loc, ext)
			return err == nil && rule != nil
		},
	}
}

// ModifyPlan checks the apply's claim on the entry at plan time (see
// planClaim).
func (r *RequestFilteringExtension) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan extensionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A policy planned beside it for the same entry is refused.
	claimSingle(r.data, extensionTypeName, "fileExtensions", plan.Host, plan.Location, plan.Extension, resp)
	loc, ext := plan.Location.ValueString(), plan.Extension.ValueString()
	r.data.planClaim(ctx, req, resp, plan.Host, extensionEntry(plan.Host, loc, ext, plan.Allowed.ValueBool()).siteOptional(plan.AllowMissingSite).
		known(plan.Host, plan.Location, plan.Extension, plan.Allowed, plan.AllowMissingSite), func(h string) string { return where(h, loc, ext) })
}

func allowedText(b bool) string { return fmt.Sprintf("allowed=%t", b) }

// setExtension writes allowed: the first touch records what the entry was
// (adopted or added); later claims keep that record, so that a second
// manager (a renamed resource) never takes its predecessor's value for the
// original.
func setExtension(loc, ext string, allowed bool) claimOp {
	return func(d *apphost.Doc, undo json.RawMessage) ([]byte, json.RawMessage, error) {
		if undo != nil {
			out, err := d.SetFileExtensionAllowed(loc, ext, allowed)
			return out, undo, err
		}
		out, own, err := d.CreateFileExtension(loc, ext, allowed)
		if err != nil {
			return nil, nil, err
		}
		j, err := json.Marshal(own)
		return out, j, err
	}
}

func (r *RequestFilteringExtension) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan extensionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, ext, allowed := plan.Location.ValueString(), plan.Extension.ValueString(), plan.Allowed.ValueBool()
	var c ownerCache
	m := extensionEntry(plan.Host, loc, ext, allowed).siteOptional(plan.AllowMissingSite)
	host, ok := r.data.edit(ctx, plan.Host, "set", func(h string) string { return where(h, loc, ext) }, m.claim(&c, setExtension(loc, ext, allowed)), &resp.Diagnostics)
	if !ok {
		return
	}
	tflog.Info(ctx, "request filtering extension created", map[string]any{"host": host, "location": loc, "extension": ext, "allowed": allowed, "owner": c.Owner})
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = types.StringValue(keyID(plan.Host.ValueString(), loc, ext))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringExtension) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state extensionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, ext := state.Location.ValueString(), state.Extension.ValueString()
	// Read before doneImporting: the request and the response may share
	// one private state.
	use := readUseOf(ctx, req.Private)
	doc, store, host, ok := r.data.doc(ctx, state.Host, use, func(h string) string { return where(h, loc, ext) }, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(doneImporting(ctx, resp.Private)...)
	rule, err := doc.FileExtension(loc, ext)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read "+where(host, loc, ext), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
		return
	}
	imported := use == needing
	if rule == nil && imported {
		resp.Diagnostics.AddError("Cannot import "+where(host, loc, ext)+": no entry for it is in effect there",
			fmt.Sprintf("%s on %s has no <add fileExtension=%q> in effect at that scope (IIS's allowUnlisted decides for it), so there is nothing to import. "+
				"To manage it, remove the import (block or command) and keep the resource in the configuration: apply adds the entry, and destroy removes it.",
				store.Path(), host, ext))
		return
	}
	if imported {
		c, warning, err := extensionEntry(state.Host, loc, ext, rule.Allowed).adopt(doc)
		if err != nil {
			resp.Diagnostics.AddError("Cannot import "+where(host, loc, ext), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
			return
		}
		if warning != "" {
			resp.Diagnostics.AddWarning("Importing "+where(host, loc, ext)+" takes it over", warning)
		}
		resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	}
	if rule == nil {
		tflog.Warn(ctx, "request filtering extension is gone from the host; it will be planned for creation", map[string]any{"host": host, "location": loc, "extension": ext})
		resp.State.RemoveResource(ctx)
		return
	}
	if state.Extension.IsNull() || state.Extension.ValueString() == "" {
		state.Extension = types.StringValue(rule.Extension)
	}
	state.Allowed = types.BoolValue(rule.Allowed)
	if state.ID.IsNull() || state.ID.ValueString() == "" {
		state.ID = types.StringValue(keyID(state.Host.ValueString(), loc, state.Extension.ValueString()))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *RequestFilteringExtension) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan extensionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, ext, allowed := plan.Location.ValueString(), plan.Extension.ValueString(), plan.Allowed.ValueBool()
	m := extensionEntry(plan.Host, loc, ext, allowed).siteOptional(plan.AllowMissingSite)
	if _, ok := r.data.edit(ctx, plan.Host, "update", func(h string) string { return where(h, loc, ext) }, m.claim(&c, setExtension(loc, ext, allowed)), &resp.Diagnostics); !ok {
		return
	}
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	// The id names the IIS rule, which a change of case does not change.
	var state extensionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	plan.ID = state.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringExtension) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state extensionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A resource with no record anywhere (imported before the record
	// existed) counts as added: destroy removes its entry.
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc, ext := state.Location.ValueString(), state.Extension.ValueString()
	var warnings []string
	m := extensionEntry(state.Host, loc, ext, state.Allowed.ValueBool())
	host, ok := r.data.edit(ctx, state.Host, "remove", func(h string) string { return where(h, loc, ext) }, m.release(c, &warnings, func(d *apphost.Doc, undo json.RawMessage) ([]byte, error) {
		var own apphost.ExtensionOwnership
		if undo != nil {
			if err := json.Unmarshal(undo, &own); err != nil {
				return nil, fmt.Errorf("the ownership record's entry is damaged (%v)", err)
			}
		}
		return d.DeleteFileExtension(loc, ext, own)
	}), &resp.Diagnostics)
	if ok {
		for _, w := range warnings {
			resp.Diagnostics.AddWarning("Destroy of "+where(host, loc, ext), w)
		}
	}
}

// ImportState takes `extension`, `location|extension` or
// `host|location|extension` (the resource's id).
func (r *RequestFilteringExtension) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	host, loc, ext, ok := splitImportID(req.ID)
	if !ok || !strings.HasPrefix(ext, ".") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q: use the extension (\".config\") for the server scope, \"location|extension\" (\"Default Web Site/SMS_DP_SMSPKG$|.config\"), "+
				"or \"host|location|extension\" (\"dp01.corp.example||.config\") for a resource with its own host.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("extension"), ext)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("location"), loc)...)
	if host != "" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("host"), host)...)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), keyID(host, loc, ext))...)
	resp.Diagnostics.Append(markImporting(ctx, resp.Private)...)
}
