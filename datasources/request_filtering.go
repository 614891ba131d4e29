// Package datasources implements the provider's data sources. They only
// read applicationHost.config; the merge and check logic is in
// internal/apphost, so that it is unit-tested without Terraform.
package datasources

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/resources"
)

// DefaultSite is the site ConfigMgr installs its DP virtual directories in.
const DefaultSite = "Default Web Site"

// RequestFiltering is the data source iis_request_filtering.
type RequestFiltering struct {
	data *resources.ProviderData
}

var (
	_ datasource.DataSource              = (*RequestFiltering)(nil)
	_ datasource.DataSourceWithConfigure = (*RequestFiltering)(nil)
)

// NewRequestFiltering is the data source's constructor.
func NewRequestFiltering() datasource.DataSource { return &RequestFiltering{} }

type model struct {
	Host                   types.String     `tfsdk:"host"`
	Location               types.String     `tfsdk:"location"`
	Site                   types.String     `tfsdk:"site"`
	Check                  []types.String   `tfsdk:"check"`
	FailOnRefused          types.Bool       `tfsdk:"fail_on_refused"`
	FileExtensions         []extensionModel `tfsdk:"file_extensions"`
	AllowUnlisted          types.Bool       `tfsdk:"allow_unlisted"`
	HiddenSegments         []segmentModel   `tfsdk:"hidden_segments"`
	AllowDoubleEscaping    types.Bool       `tfsdk:"allow_double_escaping"`
	AllowHighBitCharacters types.Bool       `tfsdk:"allow_high_bit_characters"`
	UnescapeQueryString    types.Bool       `tfsdk:"unescape_query_string"`
	RequestLimits          *limitsModel     `tfsdk:"request_limits"`
	Results                []resultModel    `tfsdk:"results"`
}

type extensionModel struct {
	Extension types.String `tfsdk:"extension"`
	Allowed   types.Bool   `tfsdk:"allowed"`
	Scope     types.String `tfsdk:"scope"`
}

type segmentModel struct {
	Segment types.String `tfsdk:"segment"`
	Scope   types.String `tfsdk:"scope"`
}

type limitsModel struct {
	MaxAllowedContentLength types.Int64 `tfsdk:"max_allowed_content_length"`
	MaxURL                  types.Int64 `tfsdk:"max_url"`
	MaxQueryString          types.Int64 `tfsdk:"max_query_string"`
}

type resultModel struct {
	URL      types.String `tfsdk:"url"`
	Location types.String `tfsdk:"location"`
	Allowed  types.Bool   `tfsdk:"allowed"`
	Status   types.String `tfsdk:"status"`
	Rule     types.String `tfsdk:"rule"`
	Scope    types.String `tfsdk:"scope"`
	Reason   types.String `tfsdk:"reason"`
}

func (d *RequestFiltering) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_request_filtering"
}

const scopeDesc = "The scope that decides it: `\"\"` for the server scope (top level or `<location path=\"\">`), else the `<location>` path as the file writes it."

func (d *RequestFiltering) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	boolean := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{Computed: true, MarkdownDescription: desc}
	}
	number := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads applicationHost.config from a distribution point and reports IIS request filtering as IIS applies it at one path: " +
			"the server scope merged with every `<location>` on the way down, `<add>`, `<remove>` and `<clear/>` applied in order. " +
			"With `check`, it also says for each URL whether request filtering lets it through, and if not, which rule blocks it with which HTTP status.",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The distribution point to read, as `name` or `name:port`, instead of the provider's `host`.",
				Validators:          []validator.String{resources.HostValidator()},
			},
			"location": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The IIS path to report on: unset or `\"\"` for the server scope, or a path such as `Default Web Site/SMS_DP_SMSPKG$`. " +
					"Every `<location>` whose path is this one or an ancestor applies, shallowest first.",
				Validators: []validator.String{resources.LocationValidator()},
			},
			"site": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "The site the URLs in `check` are on; default `" + DefaultSite + "`. A URL path `/SMS_DP_SMSPKG$/...` maps to the location `<site>/SMS_DP_SMSPKG$/...`.",
			},
			"check": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "URL paths to test, as a client requests them (percent-encoded), e.g. `/SMS_DP_SMSPKG$/PKG00012/Tools/OSDResults/OSDResults.exe.config`; " +
					"a whole URL (`http://dp01/...`) works too. Each is checked against the policy at its own location. Results are in `results`.",
			},
			"fail_on_refused": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "When `true`, a URL in `check` that request filtering would refuse fails the plan with an error naming the DP, the URL, " +
					"the status, the rule and the scope that sets it, so that a scheduled `terraform plan` fails (exit code 1) when, for example, a hand-made " +
					"`<location>` deny shadows a server-wide allow. Default `false`: the refusals are only reported in `results` (for a `check` block, which warns).",
			},
			"file_extensions": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The effective `fileExtensions` entries, in the order IIS lists them.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"extension": str("The extension as the file writes it, e.g. `.config`."),
					"allowed":   boolean("Whether requests for it are let through; `false` is HTTP 404.7."),
					"scope":     str(scopeDesc),
				}},
			},
			"allow_unlisted": boolean("`fileExtensions allowUnlisted`: whether extensions not in the list are let through (IIS default `true`)."),
			"hidden_segments": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The effective hidden segments: a URL with any of them as a path segment gets HTTP 404.8.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"segment": str("The segment as the file writes it, e.g. `bin`."),
					"scope":   str(scopeDesc),
				}},
			},
			"allow_double_escaping":     boolean("`allowDoubleEscaping` (IIS default `false`: `+` and double escapes in URL paths get HTTP 404.11)."),
			"allow_high_bit_characters": boolean("`allowHighBitCharacters` (IIS default `true`; `false` refuses non-ASCII URLs with HTTP 404.12)."),
			"unescape_query_string":     boolean("`unescapeQueryString` (IIS default `true`)."),
			"request_limits": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "`requestLimits`, with IIS defaults where no scope sets a limit.",
				Attributes: map[string]schema.Attribute{
					"max_allowed_content_length": number("`maxAllowedContentLength` in bytes (IIS default 30000000; above it HTTP 404.13)."),
					"max_url":                    number("`maxUrl` in bytes (IIS default 4096; above it HTTP 404.14)."),
					"max_query_string":           number("`maxQueryString` in bytes (IIS default 2048; above it HTTP 404.15)."),
				},
			},
			"results": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "One result per `check` URL, in the same order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"url":      str("The URL as given."),
					"location": str("The IIS location path the URL maps to."),
					"allowed":  boolean("Whether request filtering lets the request through."),
					"status": str("The status IIS answers when it does not: `404.7` (file extension denied, or not listed with `allowUnlisted = false`), " +
						"`404.8` (hidden segment), `404.11` (double escaping), `404.12` (high-bit characters), `404.14` (URL too long), `404.15` (query string too long); `\"\"` when allowed. " +
						"When several rules would block, the first in this order decides: 404.14, 404.15, 404.11, 404.12, 404.7, 404.8."),
					"rule": str("What blocks it: the extension or segment as the file writes it (`.config`, `bin`), or the setting (`allowUnlisted=false`, " +
						"`allowDoubleEscaping=false`, `maxUrl=4096`); `\"\"` when allowed."),
					"scope":  str("Where that rule is set: `\"\"` for the server scope, else a location path; null when allowed or when the rule is an IIS default no scope sets."),
					"reason": str("One sentence saying why; `\"\"` when allowed."),
				}},
			},
		},
	}
}

func (d *RequestFiltering) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = resources.ConfigureData(req.ProviderData, &resp.Diagnostics)
}

func (d *RequestFiltering) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	loc := m.Location.ValueString()
	if m.Site.IsNull() || m.Site.ValueString() == "" {
		m.Site = types.StringValue(DefaultSite)
	}
	doc, store, host, ok := d.data.ReadDoc(ctx, m.Host, func(h string) string { return "request filtering of " + h }, &resp.Diagnostics)
	if !ok {
		return
	}
	fail := func(err error) {
		resp.Diagnostics.AddError("Cannot read request filtering of "+host, fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
	}
	p, err := doc.Effective(loc)
	if err != nil {
		fail(err)
		return
	}
	fill(&m, p)
	m.Results = []resultModel{}
	for _, u := range m.Check {
		v, err := doc.Check(m.Site.ValueString(), u.ValueString())
		if err != nil {
			fail(fmt.Errorf("checking %q: %w", u.ValueString(), err))
			return
		}
		m.Results = append(m.Results, result(v))
		if !v.Allowed && m.FailOnRefused.ValueBool() {
			resp.Diagnostics.AddAttributeError(path.Root("check").AtListIndex(len(m.Results)-1), refusal(host, v), refusalDetail(v))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// refusal is the summary of a refused URL's error: the DP and the URL.
func refusal(host string, v apphost.Verdict) string {
	return fmt.Sprintf("%s would refuse %s (HTTP %s)", host, v.URL, v.Status)
}

// refusalDetail says which rule refuses, where it is set and what to do.
func refusalDetail(v apphost.Verdict) string {
	where := "an IIS default that no scope overrides"
	if !v.Default {
		where = "the server scope"
		if sc := strings.Trim(v.Scope, "/"); sc != "" {
			where = fmt.Sprintf("<location path=%q>", sc)
		}
	}
	return fmt.Sprintf("%s The rule %q is set at %s of applicationHost.config. Allow it at that scope (a <location> rule wins over the server scope for the paths below it), "+
		"or take the URL out of check; fail_on_refused = true makes every refused URL an error.", v.Reason, v.Rule, where)
}

// fill copies the effective policy into the model.
func fill(m *model, p *apphost.Policy) {
	m.FileExtensions = []extensionModel{}
	for _, e := range p.FileExtensions {
		m.FileExtensions = append(m.FileExtensions, extensionModel{Extension: types.StringValue(e.Extension), Allowed: types.BoolValue(e.Allowed), Scope: types.StringValue(e.Scope)})
	}
	m.HiddenSegments = []segmentModel{}
	for _, s := range p.HiddenSegments {
		m.HiddenSegments = append(m.HiddenSegments, segmentModel{Segment: types.StringValue(s.Segment), Scope: types.StringValue(s.Scope)})
	}
	m.AllowUnlisted = types.BoolValue(p.Setting(apphost.AllowUnlisted).Bool)
	m.AllowDoubleEscaping = types.BoolValue(p.Setting(apphost.AllowDoubleEscaping).Bool)
	m.AllowHighBitCharacters = types.BoolValue(p.Setting(apphost.AllowHighBitCharacters).Bool)
	m.UnescapeQueryString = types.BoolValue(p.Setting(apphost.UnescapeQueryString).Bool)
	m.RequestLimits = &limitsModel{
		MaxAllowedContentLength: types.Int64Value(int64(p.Setting(apphost.MaxAllowedContentLength).Number)),
		MaxURL:                  types.Int64Value(int64(p.Setting(apphost.MaxURL).Number)),
		MaxQueryString:          types.Int64Value(int64(p.Setting(apphost.MaxQueryString).Number)),
	}
}

func result(v apphost.Verdict) resultModel {
	r := resultModel{
		URL: types.StringValue(v.URL), Location: types.StringValue(v.Location), Allowed: types.BoolValue(v.Allowed),
		Status: types.StringValue(v.Status), Rule: types.StringValue(v.Rule), Reason: types.StringValue(v.Reason),
		Scope: types.StringNull(),
	}
	if !v.Allowed && !v.Default {
		r.Scope = types.StringValue(strings.Trim(v.Scope, "/"))
	}
	return r
}
