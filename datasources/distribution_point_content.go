package datasources

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/resources"
)

// DistributionPointContent is the data source iis_distribution_point_content:
// the files of a DP's content library that IIS request filtering would
// refuse to a client, found before a deployment fails.
type DistributionPointContent struct {
	data *resources.ProviderData
}

var (
	_ datasource.DataSource              = (*DistributionPointContent)(nil)
	_ datasource.DataSourceWithConfigure = (*DistributionPointContent)(nil)
)

// NewDistributionPointContent is the data source's constructor.
func NewDistributionPointContent() datasource.DataSource { return &DistributionPointContent{} }

// vdirPattern is one virtual directory name: no '/', which would make the
// URL another path, no backslash, '?' or '#', which a URL path cannot hold.
var vdirPattern = regexp.MustCompile(`^[^/\\?#\s]+$`)

type contentModel struct {
	Host               types.String   `tfsdk:"host"`
	ContentIDs         []types.String `tfsdk:"content_ids"`
	Site               types.String   `tfsdk:"site"`
	VirtualDirectories []types.String `tfsdk:"virtual_directories"`
	FailOnBlocked      types.Bool     `tfsdk:"fail_on_blocked"`
	ContentLibrary     types.String   `tfsdk:"content_library"`
	Contents           types.Int64    `tfsdk:"contents"`
	Files              types.Int64    `tfsdk:"files"`
	Refused            []refusedModel `tfsdk:"refused"`
	BlockedExtensions  []types.String `tfsdk:"blocked_extensions"`
	BlockedSegments    []types.String `tfsdk:"blocked_segments"`
}

type refusedModel struct {
	ContentID  types.String `tfsdk:"content_id"`
	PackageID  types.String `tfsdk:"package_id"`
	Path       types.String `tfsdk:"path"`
	URL        types.String `tfsdk:"url"`
	StatusCode types.String `tfsdk:"status_code"`
	Rule       types.String `tfsdk:"rule"`
	Scope      types.String `tfsdk:"scope"`
}

func (d *DistributionPointContent) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_distribution_point_content"
}

func (d *DistributionPointContent) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the files of a distribution point's content library (SCCMContentLib, found through the DP's registry value " +
			"`HKLM\\SOFTWARE\\Microsoft\\SMS\\DP\\ContentLibraryPath`) that IIS request filtering would refuse to a client today, " +
			"so that a package that would fail with HTTP 404.7, 404.8, 404.11 or 404.14 is known before a deployment fails. " +
			"Each file's URL under the DP's content virtual directories is checked against the effective policy at its location, " +
			"as the `iis_request_filtering` data source checks URLs. The scan reads only the names in the library's DataLib folder, " +
			"in one WinRM command per read (a few for a very large library), compressed.",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The distribution point to scan, as `name` or `name:port`, instead of the provider's `host`.",
				Validators:          []validator.String{resources.HostValidator()},
			},
			"content_ids": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Restricts the scan to these packages or contents: a package ID (`PS100012`; an application's content is found " +
					"through the package's PkgLib entry), a content ID (`Content_6a1e…`) or a content folder with its version (`PS100012.2`). " +
					"Unset: the whole library. An ID the DP does not hold gives a warning.",
			},
			"site": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "The IIS site that holds the DP's virtual directories; default `" + DefaultSite + "`.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"virtual_directories": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				MarkdownDescription: "The virtual directories whose URLs are checked. Default: those of `SMS_DP_SMSPKG$`, `CCMTOKENAUTH_SMS_DP_SMSPKG$` " +
					"and `NOCERT_SMS_DP_SMSPKG$` that the site declares in applicationHost.config, or `SMS_DP_SMSPKG$` (with a warning) when it declares none.",
				Validators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(stringvalidator.RegexMatches(vdirPattern,
					"must be a virtual directory name such as SMS_DP_SMSPKG$, without slashes"))},
			},
			"fail_on_blocked": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Turn findings into an error naming the DP, each package and content and the files refused, so that a " +
					"scheduled `terraform plan` fails; an incomplete scan (a folder the WinRM user cannot read) is then an error too. Default `false`.",
			},
			"content_library": str("The content library folder on the DP, as its registry gives it."),
			"contents":        schema.Int64Attribute{Computed: true, MarkdownDescription: "The content folders scanned."},
			"files":           schema.Int64Attribute{Computed: true, MarkdownDescription: "The files scanned."},
			"refused": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Every URL request filtering refuses: one entry per file and virtual directory, in library order, " +
					"with the rule IIS applies first (the status a client gets).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"content_id": str("The content folder as DataLib names it: content ID and version, e.g. `PS100012.1` or `Content_6a1e….1`."),
					"package_id": str("The package whose PkgLib entry references the content; `\"\"` when none does."),
					"path":       str("The file's path inside the package, as the package source holds it (`\\`-separated)."),
					"url":        str("The URL path a client requests, e.g. `/SMS_DP_SMSPKG$/PS100012.1/Tools/OSDResults/OSDResults.exe.config`."),
					"status_code": str("The IIS status a client gets: `404.7` (extension denied or unlisted), `404.8` (hidden segment), " +
						"`404.11` (double escaping, e.g. `+`), `404.12` (high-bit characters), `404.14` (URL longer than `maxUrl`)."),
					"rule":  str("What refuses it: the extension or segment as applicationHost.config writes it (`.config`, `bin`), or the setting (`allowDoubleEscaping=false`, `maxUrl=4096`)."),
					"scope": str("Where that rule is set: `\"\"` for the server scope, else a location path; null when the rule is an IIS default no scope sets."),
				}},
			},
			"blocked_extensions": schema.SetAttribute{
				ElementType: types.StringType,
				Computed:    true,
				MarkdownDescription: "Every file extension that refuses some file (404.7), as applicationHost.config writes it: feed it to " +
					"`iis_request_filtering_extension` with `for_each` and `allowed = true` to allow exactly what the content needs. " +
					"Extensions that resource cannot manage (`.` for extensionless files under `allowUnlisted=false`) are named in a warning instead.",
			},
			"blocked_segments": schema.SetAttribute{
				ElementType: types.StringType,
				Computed:    true,
				MarkdownDescription: "Every hidden segment in some file's path (404.8), including those a denied extension hides today " +
					"(`web.config` is refused for `.config` first): feed it to `iis_request_filtering_hidden_segment` with `for_each`.",
			},
		},
	}
}

func (d *DistributionPointContent) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = resources.ConfigureData(req.ProviderData, &resp.Diagnostics)
}

func (d *DistributionPointContent) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m contentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.Site.IsNull() || m.Site.ValueString() == "" {
		m.Site = types.StringValue(DefaultSite)
	}
	site := m.Site.ValueString()
	// ReadDoc, as the other data source: one read per DP and run, and a DP
	// that does not answer reported once, by name.
	doc, store, host, ok := d.data.ReadDoc(ctx, m.Host, func(h string) string { return "request filtering of " + h }, &resp.Diagnostics)
	if !ok {
		return
	}
	var ids []string
	for _, id := range m.ContentIDs {
		if v := strings.TrimSpace(id.ValueString()); v != "" {
			ids = append(ids, v)
		}
	}
	lib, err := store.ListContent(ctx, remotefile.ContentQuery{IDs: ids})
	if err != nil {
		resp.Diagnostics.AddError("Cannot list the content library of "+host, err.Error())
		return
	}

	vdirs := vdirsOf(&m, doc, site, host, &resp.Diagnostics)
	scan, err := scanContent(doc, site, vdirs, lib)
	if err != nil {
		resp.Diagnostics.AddError("Cannot check the content of "+host, fmt.Sprintf("%s on %s: %v", store.Path(), host, err))
		return
	}
	failing := m.FailOnBlocked.ValueBool()
	reportLibrary(lib, host, failing, &resp.Diagnostics)
	if failing && len(scan.refused) > 0 {
		resp.Diagnostics.AddError(fmt.Sprintf("Content on %s would fail to download", host), scan.summary(host))
	}
	if resp.Diagnostics.HasError() {
		return
	}
	m.ContentLibrary = types.StringValue(lib.Path)
	m.Contents = types.Int64Value(int64(len(lib.Contents)))
	m.Files = types.Int64Value(int64(scan.files))
	m.Refused = scan.refused
	m.BlockedExtensions = sortedValues(allowable(scan.extensions, host, &resp.Diagnostics))
	m.BlockedSegments = sortedValues(scan.segments)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// vdirsOf settles the virtual directories to check: the argument, or the
// content virtual directories the site declares.
func vdirsOf(m *contentModel, doc *apphost.Doc, site, host string, diags *diag.Diagnostics) []string {
	var vdirs []string
	for _, v := range m.VirtualDirectories {
		vdirs = append(vdirs, v.ValueString())
	}
	if len(vdirs) == 0 {
		vdirs = dpVirtualDirectories(doc, site)
		if len(vdirs) == 0 {
			vdirs = []string{DefaultVirtualDirectory}
			diags.AddWarning("No distribution point virtual directory on "+host,
				fmt.Sprintf("The site %q in applicationHost.config on %s declares none of %s; the content was checked as /%s/ would serve it. "+
					"Set site to the site that holds the DP's virtual directories, or virtual_directories to the ones to check.",
					site, host, strings.Join(contentVirtualDirectories, ", "), DefaultVirtualDirectory))
		}
	}
	m.VirtualDirectories = stringValues(vdirs)
	return vdirs
}

// reportLibrary turns what the scan could not read into diagnostics:
// warnings, or errors when the scan must be complete (fail_on_blocked).
func reportLibrary(lib *remotefile.ContentLibrary, host string, failing bool, diags *diag.Diagnostics) {
	if len(lib.Missing) > 0 {
		diags.AddWarning("Content not on "+host,
			fmt.Sprintf("The content library %s on %s holds nothing for %s: the content is not distributed to this DP, or the ID is misspelt.", lib.Path, host, strings.Join(lib.Missing, ", ")))
	}
	if len(lib.Unreadable) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The content library %s on %s could not be read in full, so files in these places were not checked:\n", lib.Path, host)
	for i, u := range lib.Unreadable {
		if i == 10 {
			fmt.Fprintf(&b, "  … and %d more\n", len(lib.Unreadable)-i)
			break
		}
		fmt.Fprintf(&b, "  %s (%s): %s\n", u.Path, u.Code, u.Message)
	}
	b.WriteString("Give the WinRM user read access to the content library (local Administrators have it by default).")
	if failing {
		diags.AddError("Incomplete content scan of "+host, b.String())
	} else {
		diags.AddWarning("Incomplete content scan of "+host, b.String())
	}
}

// contentScan is what the check of a library found.
type contentScan struct {
	files      int
	refused    []refusedModel
	extensions map[string]string // lower case -> as written
	segments   map[string]string
}

// scanContent checks every file of lib under every virtual directory.
func scanContent(doc *apphost.Doc, site string, vdirs []string, lib *remotefile.ContentLibrary) (*contentScan, error) {
	chk := doc.NewChecker(site)
	s := &contentScan{refused: []refusedModel{}, extensions: map[string]string{}, segments: map[string]string{}}
	for _, c := range lib.Contents {
		pkgs := lib.PackagesOf(c)
		pkg := strings.Join(pkgs, ", ")
		// A legacy package's content is also reached without its version
		// (/SMS_DP_SMSPKG$/PS100012/...): check that form too, and report
		// it when only it is refused.
		names := []string{c.Name}
		for _, p := range pkgs {
			if strings.EqualFold(p, c.ID()) {
				names = append(names, p)
				break
			}
		}
		for _, f := range c.Files {
			s.files++
			for _, v := range vdirs {
				if err := s.check(chk, c.Name, pkg, f, v, names); err != nil {
					return nil, err
				}
			}
		}
	}
	return s, nil
}

// check examines one file under one virtual directory in each URL form of
// its content (names) and records the first refusal.
func (s *contentScan) check(chk *apphost.Checker, content, pkg, file, vdir string, names []string) error {
	refused := false
	for _, n := range names {
		fd, err := chk.Examine(contentURL(vdir, n, file))
		if err != nil {
			return err
		}
		s.needs(fd)
		if !fd.Verdict.Allowed && !refused {
			s.add(content, pkg, file, fd.Verdict)
			refused = true
		}
	}
	return nil
}

// needs adds the extension and hidden segment rules a URL depends on
// being allowed (apphost.Finding): those that refuse it at its own location
// (every one, not only the first IIS reports), and those an outer scope
// sets and a deeper <location> already overrides. The second half keeps
// blocked_extensions and blocked_segments stable once resources built from
// them allow the content at the virtual directory's location: otherwise the
// sets would empty as soon as applied, and for_each would destroy the fix.
func (s *contentScan) needs(f apphost.Finding) {
	for _, ext := range f.Extensions {
		if _, ok := s.extensions[strings.ToLower(ext)]; !ok {
			s.extensions[strings.ToLower(ext)] = ext
		}
	}
	for _, g := range f.Segments {
		if _, ok := s.segments[strings.ToLower(g)]; !ok {
			s.segments[strings.ToLower(g)] = g
		}
	}
}

func (s *contentScan) add(content, pkg, path string, v apphost.Verdict) {
	r := refusedModel{
		ContentID: types.StringValue(content), PackageID: types.StringValue(pkg), Path: types.StringValue(path),
		URL: types.StringValue(v.URL), StatusCode: types.StringValue(v.Status), Rule: types.StringValue(v.Rule), Scope: types.StringNull(),
	}
	if !v.Default {
		r.Scope = types.StringValue(strings.Trim(v.Scope, "/"))
	}
	s.refused = append(s.refused, r)
}

func describeScope(scope string) string {
	if scope != "" {
		return fmt.Sprintf("location %q", scope)
	}
	return "the server scope"
}

// summary is the fail_on_blocked error: the DP, each package and content
// (in the order refused lists them), and its refused files (a few per
// content, and how many more).
func (s *contentScan) summary(host string) string {
	// A file refused under several virtual directories by the same rule
	// at the same scope is one line (the URLs, which differ, are in
	// refused).
	type group struct {
		name  string
		lines []string
		seen  map[string]bool
	}
	var groups []*group
	byName := map[string]*group{}
	for _, r := range s.refused {
		name := "content " + r.ContentID.ValueString()
		if pkg := r.PackageID.ValueString(); pkg != "" {
			name = fmt.Sprintf("package %s (content %s)", pkg, r.ContentID.ValueString())
		}
		g := byName[name]
		if g == nil {
			g = &group{name: name, seen: map[string]bool{}}
			byName[name] = g
			groups = append(groups, g)
		}
		line := fmt.Sprintf("%s: HTTP %s by %s", r.Path.ValueString(), r.StatusCode.ValueString(), r.Rule.ValueString())
		if !r.Scope.IsNull() {
			line += " at " + describeScope(r.Scope.ValueString())
		}
		if !g.seen[line] {
			g.seen[line] = true
			g.lines = append(g.lines, line)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests for content files on %s would be refused by IIS request filtering; clients downloading these packages would fail:\n", len(s.refused), host)
	for i, g := range groups {
		if i == 20 {
			fmt.Fprintf(&b, "… and %d more packages\n", len(groups)-i)
			break
		}
		fmt.Fprintf(&b, "%s:\n", g.name)
		for j, l := range g.lines {
			if j == 5 {
				fmt.Fprintf(&b, "  … and %d more\n", len(g.lines)-j)
				break
			}
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	b.WriteString("Allow what the content needs (blocked_extensions with iis_request_filtering_extension, blocked_segments with iis_request_filtering_hidden_segment, " +
		"iis_request_filtering_settings for double escaping and maxUrl), or remove the files from the packages.")
	return b.String()
}

func stringValues(in []string) []types.String {
	out := make([]types.String, 0, len(in))
	for _, s := range in {
		out = append(out, types.StringValue(s))
	}
	return out
}

// allowable keeps the extensions iis_request_filtering_extension accepts,
// so that a for_each over blocked_extensions cannot fail a plan, and warns
// of the others (an extensionless file under allowUnlisted=false needs
// ".", which that resource does not manage; a space or a non-ASCII letter
// in an extension).
func allowable(exts map[string]string, host string, diags *diag.Diagnostics) map[string]string {
	out := map[string]string{}
	var left []string
	for k, e := range exts {
		if resources.ExtensionAllowable(e) {
			out[k] = e
		} else {
			left = append(left, fmt.Sprintf("%q", e))
		}
	}
	if len(left) > 0 {
		sort.Strings(left)
		diags.AddWarning("Extensions left out of blocked_extensions on "+host,
			fmt.Sprintf("Content on %s needs the extensions %s allowed, which iis_request_filtering_extension cannot manage; they are listed in refused. "+
				"Allow them by hand in applicationHost.config, or rename the files in the packages.", host, strings.Join(left, ", ")))
	}
	return out
}

// sortedValues is a set's values (map values), sorted by key.
func sortedValues(m map[string]string) []types.String {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.String, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.StringValue(m[k]))
	}
	return out
}
