package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// RequestFilteringSettings is iis_request_filtering_settings: the scalar
// settings of request filtering in one scope. Only the arguments the
// configuration sets are managed; the others are neither read nor written,
// so that two teams (or IIS Manager) can own different settings.
type RequestFilteringSettings struct {
	data *ProviderData
}

var (
	_ resource.Resource                   = (*RequestFilteringSettings)(nil)
	_ resource.ResourceWithConfigure      = (*RequestFilteringSettings)(nil)
	_ resource.ResourceWithImportState    = (*RequestFilteringSettings)(nil)
	_ resource.ResourceWithValidateConfig = (*RequestFilteringSettings)(nil)
	_ resource.ResourceWithModifyPlan     = (*RequestFilteringSettings)(nil)
)

// NewRequestFilteringSettings is the resource's constructor.
func NewRequestFilteringSettings() resource.Resource { return &RequestFilteringSettings{} }

type settingsModel struct {
	ID                          types.String `tfsdk:"id"`
	Location                    types.String `tfsdk:"location"`
	Host                        types.String `tfsdk:"host"`
	AllowDoubleEscaping         types.Bool   `tfsdk:"allow_double_escaping"`
	AllowHighBitCharacters      types.Bool   `tfsdk:"allow_high_bit_characters"`
	UnescapeQueryString         types.Bool   `tfsdk:"unescape_query_string"`
	FileExtensionsAllowUnlisted types.Bool   `tfsdk:"file_extensions_allow_unlisted"`
	RequestLimits               types.Object `tfsdk:"request_limits"`
	AllowMissingSite            types.Bool   `tfsdk:"allow_missing_site"`
}

// requestLimitsTypes are the attribute types of request_limits.
func requestLimitsTypes() map[string]attr.Type {
	return map[string]attr.Type{"max_allowed_content_length": types.Int64Type, "max_url": types.Int64Type, "max_query_string": types.Int64Type}
}

// settingField ties a Terraform argument to an IIS setting.
type settingField struct {
	setting apphost.Setting
	name    string // the argument, or the attribute of request_limits
	// boolean is the model's field of a top-level boolean argument; nil for
	// an attribute of request_limits.
	boolean func(*settingsModel) *types.Bool
}

func settingFields() []settingField {
	return []settingField{
		{apphost.AllowDoubleEscaping, "allow_double_escaping", func(m *settingsModel) *types.Bool { return &m.AllowDoubleEscaping }},
		{apphost.AllowHighBitCharacters, "allow_high_bit_characters", func(m *settingsModel) *types.Bool { return &m.AllowHighBitCharacters }},
		{apphost.UnescapeQueryString, "unescape_query_string", func(m *settingsModel) *types.Bool { return &m.UnescapeQueryString }},
		{apphost.AllowUnlisted, "file_extensions_allow_unlisted", func(m *settingsModel) *types.Bool { return &m.FileExtensionsAllowUnlisted }},
		{apphost.MaxAllowedContentLength, "max_allowed_content_length", nil},
		{apphost.MaxURL, "max_url", nil},
		{apphost.MaxQueryString, "max_query_string", nil},
	}
}

// limit returns an attribute of request_limits (null when the object is).
func (m *settingsModel) limit(name string) types.Int64 {
	if m.RequestLimits.IsNull() || m.RequestLimits.IsUnknown() {
		return types.Int64Null()
	}
	if v, ok := m.RequestLimits.Attributes()[name].(types.Int64); ok {
		return v
	}
	return types.Int64Null()
}

// values returns the raw values of the settings the model manages: what the
// configuration sets. unknown is true when a value is not known yet.
func (m *settingsModel) values() (vals map[apphost.Setting]string, unknown bool) {
	vals = map[apphost.Setting]string{}
	if m.RequestLimits.IsUnknown() {
		unknown = true
	}
	for _, f := range settingFields() {
		if f.boolean == nil {
			v := m.limit(f.name)
			unknown = unknown || v.IsUnknown()
			if !v.IsNull() && !v.IsUnknown() {
				vals[f.setting] = strconv.FormatInt(v.ValueInt64(), 10)
			}
			continue
		}
		v := *f.boolean(m)
		unknown = unknown || v.IsUnknown()
		if !v.IsNull() && !v.IsUnknown() {
			vals[f.setting] = strconv.FormatBool(v.ValueBool())
		}
	}
	return vals, unknown
}

// setValues writes each setting in vals into the model (the others stay as
// they are); request_limits is rebuilt from the limits in vals and the
// limits the model already had (which stay null when not in vals).
func (m *settingsModel) setValues(vals map[apphost.Setting]apphost.SettingValue) {
	limits := map[string]attr.Value{}
	anyLimit := false
	for _, f := range settingFields() {
		v, ok := vals[f.setting]
		if f.boolean == nil {
			cur := m.limit(f.name)
			if ok {
				cur = types.Int64Value(int64(v.Number))
			}
			anyLimit = anyLimit || !cur.IsNull()
			limits[f.name] = cur
			continue
		}
		if ok {
			*f.boolean(m) = types.BoolValue(v.Bool)
		}
	}
	switch {
	case anyLimit || !m.RequestLimits.IsNull():
		m.RequestLimits = types.ObjectValueMust(requestLimitsTypes(), limits)
	default:
		m.RequestLimits = types.ObjectNull(requestLimitsTypes())
	}
}

func (r *RequestFilteringSettings) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_request_filtering_settings"
}

func (r *RequestFilteringSettings) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	limit := func(attr, desc string) schema.Int64Attribute {
		return schema.Int64Attribute{
			Optional:            true,
			MarkdownDescription: fmt.Sprintf("`<requestLimits %s>`: ", attr) + desc + ". Unset: not managed.",
			Validators:          []validator.Int64{int64validator.Between(0, 4294967295)},
		}
	}
	flag := func(xml, desc string) schema.BoolAttribute {
		return schema.BoolAttribute{Optional: true, MarkdownDescription: fmt.Sprintf("`%s`: ", xml) + desc + ". Unset: not managed."}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the settings of IIS request filtering (`system.webServer/security/requestFiltering` in applicationHost.config) in one scope: " +
			"the server, or one location. Only the arguments you set are managed; the others are left as they are in the file and never show as drift. " +
			"Destroy gives every managed attribute its earlier value back (or removes it when it was absent) and removes the elements the resource had to create.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("the location, `/` for the server scope, and `host|location` when `host` is set " +
				"(`dp01.corp.example|` for the server scope)."),
			"location": locationAttribute(", or an IIS location path such as " +
				"`Default Web Site/SMS_DP_SMSPKG$` (a `<location path=\"...\">` block, created when missing). One resource per scope."),
			"host":               hostAttribute(),
			"allow_missing_site": allowMissingSiteAttribute(),
			"allow_double_escaping": flag(`<requestFiltering allowDoubleEscaping>`,
				"`true` lets URL paths with `+` or double escapes through, such as package folders named `Program+Files` or `C++`, which IIS refuses with HTTP 404.11 by default (`false`)"),
			"allow_high_bit_characters": flag(`<requestFiltering allowHighBitCharacters>`,
				"`false` refuses URLs with non-ASCII characters with HTTP 404.12; IIS default `true`"),
			"unescape_query_string": flag(`<requestFiltering unescapeQueryString>`,
				"whether query strings are scanned after unescaping as well as before; IIS default `true`"),
			"file_extensions_allow_unlisted": flag(`<fileExtensions allowUnlisted>`,
				"`false` refuses every file extension not listed as allowed (HTTP 404.7); IIS default `true`"),
			"request_limits": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Request limits (`<requestLimits>`). Only the limits set here are managed.",
				Attributes: map[string]schema.Attribute{
					"max_allowed_content_length": limit("maxAllowedContentLength", "the largest request body in bytes, above which IIS answers HTTP 404.13; IIS default 30000000"),
					"max_url":                    limit("maxUrl", "the longest URL path in bytes, above which IIS answers HTTP 404.14; IIS default 4096"),
					"max_query_string":           limit("maxQueryString", "the longest query string in bytes, above which IIS answers HTTP 404.15; IIS default 2048"),
				},
			},
		},
	}
}

func (r *RequestFilteringSettings) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m settingsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if vals, unknown := m.values(); len(vals) == 0 && !unknown {
		resp.Diagnostics.AddError("Nothing to manage",
			"Set at least one of allow_double_escaping, allow_high_bit_characters, unescape_query_string, file_extensions_allow_unlisted "+
				"or request_limits { max_allowed_content_length, max_url, max_query_string }: the resource manages only the settings it sets.")
	}
}

func (r *RequestFilteringSettings) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configure(req.ProviderData, &resp.Diagnostics)
}

// settingsWhat names what the resource manages, for where.
const settingsWhat = "the request filtering settings"

// settingsID is the import ID. Terraform refuses an empty import ID, so the
// server scope on the provider's host is "/".
func settingsID(host, location string) string {
	switch {
	case host != "":
		return host + "|" + location
	case location == "":
		return "/"
	}
	return location
}

func splitSettingsID(id string) (host, location string, ok bool) {
	parts := strings.Split(id, "|")
	switch len(parts) {
	case 1:
		location = parts[0]
	case 2:
		host, location = parts[0], parts[1]
		if host == "" {
			return "", "", false
		}
	default:
		return "", "", false
	}
	if location == "/" {
		location = ""
	}
	return host, location, id != "" && (location == "" || !strings.HasPrefix(location, "/"))
}

// settingsEntry is what a settings resource manages, for the record: the
// values it sets in its scope, as one entry (one resource per scope).
func settingsEntry(host types.String, loc string, vals map[apphost.Setting]string) managed {
	return managed{
		kind: settingsTypeName, host: host.ValueString(), location: loc, key: "", want: settingsText(vals),
		id: settingsID(host.ValueString(), loc),
		holds: func(d *apphost.Doc, want string) bool {
			p, err := d.Effective(loc)
			if err != nil {
				return false
			}
			for _, kv := range strings.Split(want, ",") {
				k, v, _ := strings.Cut(kv, "=")
				s, ok := settingByAttr(k)
				if !ok || settingText(p.Setting(s)) != v {
					return false
				}
			}
			return true
		},
		current: func(d *apphost.Doc) string {
			p, err := d.Effective(loc)
			if err != nil {
				return "unreadable"
			}
			cur := map[apphost.Setting]string{}
			for s := range vals {
				cur[s] = p.Setting(s).Raw
			}
			return settingsText(cur)
		},
		exists: func(d *apphost.Doc) bool {
			raw, err := d.ScopeSettings(loc)
			if err != nil {
				return false
			}
			for s := range vals {
				if _, ok := raw[s]; ok {
					return true
				}
			}
			return false
		},
	}
}

// ModifyPlan checks the apply's claim on the scope's settings at plan time
// (see planClaim).
func (r *RequestFilteringSettings) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan settingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc := plan.Location.ValueString()
	vals, unknown := plan.values()
	if unknown {
		return
	}
	r.data.planClaim(ctx, req, resp, plan.Host, settingsEntry(plan.Host, loc, vals).siteOptional(plan.AllowMissingSite).
		known(plan.Host, plan.Location, plan.AllowMissingSite), func(h string) string { return where(h, loc, settingsWhat) })
}

// settingsText is settings as the record compares them: attribute=value in
// IIS's order, values as IIS reads them (booleans in any case, numbers
// with spaces).
func settingsText(vals map[apphost.Setting]string) string {
	var parts []string
	for _, s := range apphost.Settings() {
		raw, ok := vals[s]
		if !ok {
			continue
		}
		v, err := apphost.ParseSetting(s, raw)
		text := raw
		if err == nil {
			text = settingText(v)
		}
		parts = append(parts, s.Attr()+"="+text)
	}
	return strings.Join(parts, ",")
}

func settingText(v apphost.SettingValue) string {
	if v.Setting.Numeric() {
		return strconv.FormatUint(v.Number, 10)
	}
	return strconv.FormatBool(v.Bool)
}

func settingByAttr(attr string) (apphost.Setting, bool) {
	for _, s := range apphost.Settings() {
		if s.Attr() == attr {
			return s, true
		}
	}
	return "", false
}

// manage runs ManageSettings with the entry's undo (the settings' values
// before Terraform, kept in the record), returning the undo to keep.
func manage(location string, want map[apphost.Setting]*string) claimOp {
	return func(d *apphost.Doc, undo json.RawMessage) ([]byte, json.RawMessage, error) {
		var own apphost.SettingsOwnership
		if undo != nil {
			if err := json.Unmarshal(undo, &own); err != nil {
				return nil, nil, fmt.Errorf("the ownership record's entry is damaged (%v)", err)
			}
			// With a record, a setting it has no earlier value for was
			// never written by Terraform (an import brought it into the
			// state): letting go of it leaves it as it is.
			want = maps.Clone(want)
			for s, v := range want {
				if _, known := own.Previous[s]; v == nil && !known {
					delete(want, s)
				}
			}
		}
		out, next, err := d.ManageSettings(location, want, own)
		if err != nil {
			return nil, nil, err
		}
		j, err := json.Marshal(next)
		return out, j, err
	}
}

// apply claims the scope's settings in the record and writes want.
func (r *RequestFilteringSettings) apply(ctx context.Context, plan settingsModel, vals map[apphost.Setting]string, want map[apphost.Setting]*string, c *ownerCache, what string, diags *diag.Diagnostics) bool {
	location := plan.Location.ValueString()
	name, ok := r.data.edit(ctx, plan.Host, what, func(h string) string { return where(h, location, settingsWhat) },
		settingsEntry(plan.Host, location, vals).siteOptional(plan.AllowMissingSite).claim(c, manage(location, want)), diags)
	if ok {
		tflog.Info(ctx, "request filtering settings "+what, map[string]any{"host": name, "location": location, "settings": len(want), "owner": c.Owner})
	}
	return ok
}

func ptrs(vals map[apphost.Setting]string) map[apphost.Setting]*string {
	out := map[apphost.Setting]*string{}
	for s, v := range vals {
		out[s] = &v
	}
	return out
}

func (r *RequestFilteringSettings) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan settingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	vals, _ := plan.values()
	var c ownerCache
	if !r.apply(ctx, plan, vals, ptrs(vals), &c, "set", &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = types.StringValue(settingsID(plan.Host.ValueString(), plan.Location.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read reports the value IIS applies at the scope for each managed setting
// (the scope's own attribute, else the inherited value or the IIS default),
// so that a hand edit shows up as an update back to the configuration.
// After an import nothing is managed yet: the settings the scope writes
// itself become the managed ones.
func (r *RequestFilteringSettings) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state settingsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc := state.Location.ValueString()
	doc, store, host, ok := r.data.doc(ctx, state.Host, readUseOf(ctx, req.Private), func(h string) string { return where(h, loc, settingsWhat) }, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(doneImporting(ctx, resp.Private)...)
	fail := func(err error) {
		resp.Diagnostics.AddError("Cannot read "+where(host, loc, settingsWhat), fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
	}
	managed, _ := state.values()
	got := map[apphost.Setting]apphost.SettingValue{}
	if len(managed) == 0 {
		raw, err := doc.ScopeSettings(loc)
		if err != nil {
			fail(err)
			return
		}
		if len(raw) == 0 {
			resp.Diagnostics.AddWarning("Nothing to import",
				fmt.Sprintf("%s sets none of the request filtering settings this resource manages; create the resource instead of importing it.", capitalized(scope(loc))))
			resp.State.RemoveResource(ctx)
			return
		}
		for s, v := range raw {
			if got[s], err = apphost.ParseSetting(s, v); err != nil {
				fail(err)
				return
			}
		}
		// An import: the resource takes the scope's settings over from
		// whoever the record says manages them.
		c, warning, err := settingsEntry(state.Host, loc, raw).adopt(doc)
		if err != nil {
			fail(err)
			return
		}
		if warning != "" {
			resp.Diagnostics.AddWarning("Importing "+where(host, loc, settingsWhat)+" takes them over", warning)
		}
		resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	} else {
		p, err := doc.Effective(loc)
		if err != nil {
			fail(err)
			return
		}
		for s := range managed {
			got[s] = p.Setting(s)
		}
	}
	state.setValues(got)
	if state.ID.IsNull() || state.ID.ValueString() == "" {
		state.ID = types.StringValue(settingsID(state.Host.ValueString(), loc))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update writes the settings the plan sets and gives the ones it no longer
// sets their earlier values back.
func (r *RequestFilteringSettings) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state settingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	vals, _ := plan.values()
	old, _ := state.values()
	want := ptrs(vals)
	for s := range old {
		if _, still := vals[s]; !still {
			want[s] = nil
		}
	}
	if !r.apply(ctx, plan, vals, want, &c, "update", &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(saveCache(ctx, resp.Private, c)...)
	plan.ID = state.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RequestFilteringSettings) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state settingsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, diags := loadCache(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc := state.Location.ValueString()
	vals, _ := state.values()
	var warnings []string
	host, ok := r.data.edit(ctx, state.Host, "restore", func(h string) string { return where(h, loc, settingsWhat) },
		settingsEntry(state.Host, loc, vals).release(c, &warnings, func(d *apphost.Doc, undo json.RawMessage) ([]byte, error) {
			var own apphost.SettingsOwnership
			if undo != nil {
				if err := json.Unmarshal(undo, &own); err != nil {
					return nil, fmt.Errorf("the ownership record's entry is damaged (%v)", err)
				}
			}
			want := map[apphost.Setting]*string{}
			for s := range vals {
				want[s] = nil
			}
			for s := range own.Previous {
				want[s] = nil
			}
			out, _, err := d.ManageSettings(loc, want, own)
			return out, err
		}), &resp.Diagnostics)
	if ok {
		for _, w := range warnings {
			resp.Diagnostics.AddWarning("Destroy of "+where(host, loc, settingsWhat), w)
		}
	}
}

// ImportState takes the location ("/" for the server scope) or
// host|location. The settings the scope writes itself become managed.
func (r *RequestFilteringSettings) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importScope(ctx, req.ID, &resp.State, resp.Private, &resp.Diagnostics)
}
