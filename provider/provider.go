// Package provider implements the Terraform provider "iis": its configuration
// (how to reach distribution points over WinRM) and its list of resources.
package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/datasources"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/resources"
)

// DefaultConfigPath is where IIS keeps its server configuration.
const DefaultConfigPath = `%windir%\System32\inetsrv\config\applicationHost.config`

// IISProvider is the provider implementation.
type IISProvider struct {
	version  string
	sessions *Sessions // nil: nobody releases the shells but their idle timers
}

var _ provider.Provider = (*IISProvider)(nil)

// New returns a constructor for the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return NewWithSessions(version, nil)
}

// NewWithSessions is New with the connections of every configured provider
// recorded in sessions, for the process to release when it stops.
func NewWithSessions(version string, sessions *Sessions) func() provider.Provider {
	return func() provider.Provider { return &IISProvider{version: version, sessions: sessions} }
}

// Model is the provider block.
type Model struct {
	Host             types.String `tfsdk:"host"`
	Port             types.Int64  `tfsdk:"port"`
	HTTPS            types.Bool   `tfsdk:"https"`
	Insecure         types.Bool   `tfsdk:"insecure"`
	CACert           types.String `tfsdk:"ca_cert"`
	TLSServerName    types.String `tfsdk:"tls_server_name"`
	Username         types.String `tfsdk:"username"`
	Password         types.String `tfsdk:"password"`
	Auth             types.String `tfsdk:"auth"`
	AllowUnencrypted types.Bool   `tfsdk:"allow_unencrypted"`
	ClientCert       types.String `tfsdk:"client_cert"`
	ClientKey        types.String `tfsdk:"client_key"`
	Realm            types.String `tfsdk:"realm"`
	Krb5Conf         types.String `tfsdk:"krb5_conf"`
	SPN              types.String `tfsdk:"spn"`
	Keytab           types.String `tfsdk:"keytab"`
	Timeout          types.String `tfsdk:"timeout"`
	ConfigPath       types.String `tfsdk:"config_path"`
	Backups          types.Int64  `tfsdk:"backups"`
	PrefetchHosts    types.List   `tfsdk:"prefetch_hosts"`
	UnreachableHosts types.String `tfsdk:"unreachable_hosts"`
}

func (p *IISProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "iis"
	resp.Version = p.version
}

func (p *IISProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages IIS configuration on Windows servers over WinRM, for the IIS of Configuration Manager " +
			"distribution points first: request filtering rules in `applicationHost.config`, edited in place with a backup, " +
			"and read back on every plan so hand edits show up as drift.\n\n" +
			"Every argument is optional and falls back to the environment variable named in its description.",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Host name or address of the Windows server (the distribution point). Environment: `IIS_HOST`.",
			},
			"port": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "WinRM port. Default `5985`, or `5986` when `https` is true. Environment: `IIS_PORT`.",
			},
			"https": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Connect to the WinRM HTTPS listener. Default `false`. Environment: `IIS_HTTPS`.",
			},
			"insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip verification of the host's TLS certificate. Prefer `ca_cert`. Default `false`. Environment: `IIS_INSECURE`.",
			},
			"ca_cert": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM certificate(s) of the authority that issued the host's WinRM HTTPS certificate, e.g. `file(\"ca.pem\")`. Environment: `IIS_CA_CERT`.",
			},
			"tls_server_name": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Name to verify the host's certificate against, when `host` is an address or alias. Environment: `IIS_TLS_SERVER_NAME`.",
			},
			"username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "User to authenticate as, e.g. `CORP\\\\svc-terraform`. Environment: `IIS_USERNAME`.",
			},
			"password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Password of `username`. Environment: `IIS_PASSWORD`.",
			},
			"auth": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Authentication scheme. Environment: `IIS_AUTH`.\n" +
					"  - `ntlm` (default): NTLMv2, for domain and local accounts. Over HTTP every message is encrypted with the NTLM session " +
					"(what a domain-joined host accepts out of the box: Negotiate enabled, `AllowUnencrypted=false`); over HTTPS TLS protects it. " +
					"The connection is authenticated once and reused; a failed handshake is an error, never a fallback to anything weaker.\n" +
					"  - `kerberos`: a Kerberos ticket for `spn` from the KDCs of `realm` (`krb5_conf`), with the password or a `keytab`. " +
					"The host must prove its identity (mutual authentication) before anything is sent. Over HTTP every message is encrypted with the Kerberos context, " +
					"as Windows' own clients do on the default listener; over HTTPS the login is bound to the TLS channel (channel binding, for `CbtHardeningLevel=Strict`).\n" +
					"  - `basic`: local accounts only; needs Basic enabled on the host (`winrm set winrm/config/service/auth @{Basic=\"true\"}`) " +
					"and `https = true` (or `allow_unencrypted` in a lab).\n" +
					"  - `certificate`: a TLS client certificate (`client_cert`, `client_key`) mapped to a local account on the host " +
					"(`winrm create winrm/config/service/certmapping`); needs `https = true`; `username` and `password` are not used.",
				Validators: []validator.String{stringvalidator.OneOf("ntlm", "basic", "kerberos", "certificate")},
			},
			"allow_unencrypted": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Allow `basic` over plain HTTP, which sends the password and the file in clear text; " +
					"the host must allow it too (`AllowUnencrypted=true`). Only for labs; `ntlm` and `kerberos` encrypt over HTTP without it. Default `false`. Environment: `IIS_ALLOW_UNENCRYPTED`.",
			},
			"client_cert": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "With `auth = \"certificate\"`: the PEM client certificate (client authentication usage, the user's UPN in its subject alternative names), e.g. `file(\"client.pem\")`. Environment: `IIS_CLIENT_CERT`.",
			},
			"client_key": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "With `auth = \"certificate\"`: the PEM private key of `client_cert`. Environment: `IIS_CLIENT_KEY`.",
			},
			"realm": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "With `auth = \"kerberos\"`: the Kerberos realm, e.g. `CORP.EXAMPLE.COM`. Default: from a `user@REALM` username, else `default_realm` of `krb5_conf`. Environment: `IIS_REALM`.",
			},
			"krb5_conf": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "With `auth = \"kerberos\"`: path of a krb5.conf, or its content, naming the realm's KDCs. Default: `KRB5_CONFIG`, else `/etc/krb5.conf`. Environment: `IIS_KRB5_CONF`.",
			},
			"spn": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "With `auth = \"kerberos\"`: the host's service principal. Default `HTTP/` and the host name in lower case, without the port (`HTTP/dp01.corp.example`). Environment: `IIS_SPN`.",
			},
			"keytab": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "With `auth = \"kerberos\"`: path of a keytab holding the key of `username`, used instead of `password`. Environment: `IIS_KEYTAB`.",
			},
			"timeout": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Time limit of each remote command, and of each distribution point's read in a run, its retries included (a DP that does not answer costs one `timeout` per run), as a Go duration such as `60s` or `2m`. Default `60s`. Environment: `IIS_TIMEOUT`.",
			},
			"config_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Path of applicationHost.config on the host; `%variables%` are expanded there, and messages name the file as the host expanded it " +
					"(`C:\\Windows\\System32\\...`). Default `" + DefaultConfigPath + "`. Environment: `IIS_CONFIG_PATH`.",
			},
			"backups": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "How many backups of applicationHost.config to keep beside it (`applicationHost.config.tf-backup-<UTC time>`); each write makes one. Default `5`. Environment: `IIS_BACKUPS`.",
			},
			"prefetch_hosts": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "For a fleet: the distribution points (`name` or `name:port`, spelled as in the resources' `host`) " +
					"to read all at once as soon as a plan or refresh begins, so that a plan of many DPs takes about as long as the slowest DP " +
					"rather than reading them a few at a time. Set it to the list the resources' `host` arguments come from, e.g. " +
					"`prefetch_hosts = var.distribution_points`. It only reads, and each DP is still read once per run; a DP that cannot be " +
					"read here is reported by the resources on it. Environment: `IIS_PREFETCH_HOSTS` (comma-separated).",
				Validators: []validator.List{listvalidator.ValueStringsAre(resources.HostValidator())},
			},
			"unreachable_hosts": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "What a plan or refresh does about a distribution point that does not answer (no connection, or no reply within `timeout`). " +
					"Either way the DP is read once per run, its `timeout` covering every resource on it and every retry, and it is reported once, by name. Environment: `IIS_UNREACHABLE_HOSTS`.\n" +
					"  - `error` (default): the run fails.\n" +
					"  - `warn`: its resources keep their last known state, with one warning for the DP, so the rest of the fleet is planned and its drift " +
					"reported (`-detailed-exitcode` still exits 2 for drift elsewhere). Drift on that DP goes unseen until it answers. " +
					"Writes (create, update, destroy) to a DP that does not answer are errors whatever this says, and so are data sources and imports on it.",
				Validators: []validator.String{stringvalidator.OneOf(unreachableModes...)},
			},
		},
	}
}

// unreachableModes are the values of unreachable_hosts.
var unreachableModes = []string{"error", "warn"}

func (p *IISProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		resources.NewRequestFilteringExtension,
		resources.NewRequestFilteringHiddenSegment,
		resources.NewRequestFilteringSettings,
		resources.NewRequestFilteringPolicy,
	}
}

func (p *IISProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		datasources.NewRequestFiltering,
		datasources.NewDistributionPointContent, // issue 17: content a DP's IIS would refuse
	}
}

func (p *IISProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m Model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, diags := resolve(m, os.LookupEnv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if s.insecure {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure"), "TLS certificate verification is off",
			"insecure = true accepts any certificate, so a machine in the middle could read the password and the configuration. "+
				"Give the issuing CA in ca_cert (and tls_server_name if the certificate names another host) instead.")
	}
	tflog.Debug(ctx, "iis provider configured", map[string]any{
		"host": s.host, "default_port": s.port, "https": s.https, "auth": s.auth, "config_path": s.configPath,
		"timeout": s.timeout.String(), "username_set": s.username != "", "password_set": s.password != "",
	})
	// IIS_OPTIMIZATIONS=off turns off the read cache, group commit, shell
	// reuse and compression: the naive mode `make bench` compares against.
	opts, gzip := hostconfig.Optimized(), true
	if s.naive {
		opts, gzip = hostconfig.Options{}, false
		tflog.Info(ctx, "IIS_OPTIMIZATIONS=off: no read cache, group commit, shell reuse or compression")
	}
	if s.naive && len(s.prefetch) > 0 {
		tflog.Info(ctx, "IIS_OPTIMIZATIONS=off: prefetch_hosts is ignored, as there is no cache to read into")
	}
	// The timeout bounds each host's read, retries included: one wait per
	// DP that does not answer, not one per resource and retry.
	opts.ReadBudget = s.timeout
	pool := s.pool(opts, gzip)
	p.sessions.add(pool)
	data := &resources.ProviderData{Pool: pool, DefaultHost: s.host, PrefetchHosts: s.prefetch, WarnUnreachable: s.unreachable == "warn"}
	resp.ResourceData = data
	resp.DataSourceData = data
}

// settings are the provider's arguments after environment fallbacks.
type settings struct {
	host, caCert, tlsServerName, username, password, auth, configPath string
	clientCert, clientKey, realm, krb5Conf, spn, keytab               string
	naive                                                             bool   // IIS_OPTIMIZATIONS=off
	unreachable                                                       string // unreachable_hosts: "error" or "warn"
	port, backups                                                     int
	https, insecure, allowUnencrypted                                 bool
	timeout                                                           time.Duration
	prefetch                                                          []string // hosts to read ahead
	unknown                                                           []string // arguments not known until apply
}

type lookupEnv func(string) (string, bool)

// hostList is prefetch_hosts, or else the comma-separated environment
// value (checked here, as the schema checks the attribute). Unknown hosts
// (not known until apply) are left out: reading ahead is an optimisation,
// and the plan reads them when it reaches them.
func hostList(v types.List, envValue string, envSet bool, d *diag.Diagnostics) []string {
	var raw []string
	switch {
	case v.IsUnknown():
		return nil
	case v.IsNull():
		if !envSet {
			return nil
		}
		for _, h := range strings.Split(envValue, ",") {
			if strings.TrimSpace(h) == "" {
				continue
			}
			var resp validator.StringResponse
			resources.HostValidator().ValidateString(context.Background(), validator.StringRequest{
				Path: path.Root("prefetch_hosts"), ConfigValue: types.StringValue(strings.TrimSpace(h)),
			}, &resp)
			for _, e := range resp.Diagnostics.Errors() {
				d.AddAttributeError(path.Root("prefetch_hosts"), "Invalid IIS_PREFETCH_HOSTS", e.Detail())
			}
			raw = append(raw, h)
		}
	default:
		for _, e := range v.Elements() {
			if h, ok := e.(types.String); ok && !h.IsNull() && !h.IsUnknown() {
				raw = append(raw, h.ValueString())
			}
		}
	}
	var out []string
	for _, h := range raw {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// resolve applies environment fallbacks and defaults, and checks each value,
// attaching problems to the attribute they come from.
func resolve(m Model, env lookupEnv) (settings, diag.Diagnostics) {
	var d diag.Diagnostics
	s := settings{}
	str := func(attr string, v types.String, envName, def string) string {
		if v.IsUnknown() {
			s.unknown = append(s.unknown, attr)
			return def
		}
		if !v.IsNull() {
			return v.ValueString()
		}
		if e, ok := env(envName); ok && e != "" {
			return e
		}
		return def
	}
	boolean := func(attr string, v types.Bool, envName string) bool {
		if v.IsUnknown() {
			s.unknown = append(s.unknown, attr)
			return false
		}
		if !v.IsNull() {
			return v.ValueBool()
		}
		e, ok := env(envName)
		if !ok || e == "" {
			return false
		}
		b, err := strconv.ParseBool(e)
		if err != nil {
			d.AddAttributeError(path.Root(attr), "Invalid "+envName, fmt.Sprintf("%s=%q is not a boolean: use true or false.", envName, e))
		}
		return b
	}
	integer := func(attr string, v types.Int64, envName string, def int) int {
		if v.IsUnknown() {
			s.unknown = append(s.unknown, attr)
			return def
		}
		if !v.IsNull() {
			return int(v.ValueInt64())
		}
		e, ok := env(envName)
		if !ok || e == "" {
			return def
		}
		n, err := strconv.Atoi(e)
		if err != nil {
			d.AddAttributeError(path.Root(attr), "Invalid "+envName, fmt.Sprintf("%s=%q is not a whole number.", envName, e))
		}
		return n
	}

	s.host = strings.TrimSpace(str("host", m.Host, "IIS_HOST", ""))
	s.https = boolean("https", m.HTTPS, "IIS_HTTPS")
	s.insecure = boolean("insecure", m.Insecure, "IIS_INSECURE")
	s.caCert = str("ca_cert", m.CACert, "IIS_CA_CERT", "")
	s.tlsServerName = str("tls_server_name", m.TLSServerName, "IIS_TLS_SERVER_NAME", "")
	s.username = str("username", m.Username, "IIS_USERNAME", "")
	s.password = str("password", m.Password, "IIS_PASSWORD", "")
	s.auth = strings.ToLower(str("auth", m.Auth, "IIS_AUTH", "ntlm"))
	s.allowUnencrypted = boolean("allow_unencrypted", m.AllowUnencrypted, "IIS_ALLOW_UNENCRYPTED")
	s.clientCert = str("client_cert", m.ClientCert, "IIS_CLIENT_CERT", "")
	s.clientKey = str("client_key", m.ClientKey, "IIS_CLIENT_KEY", "")
	s.realm = str("realm", m.Realm, "IIS_REALM", "")
	s.krb5Conf = str("krb5_conf", m.Krb5Conf, "IIS_KRB5_CONF", "")
	s.spn = str("spn", m.SPN, "IIS_SPN", "")
	s.keytab = str("keytab", m.Keytab, "IIS_KEYTAB", "")
	if v, ok := env("IIS_OPTIMIZATIONS"); ok && strings.EqualFold(v, "off") {
		s.naive = true
	}
	s.configPath = str("config_path", m.ConfigPath, "IIS_CONFIG_PATH", DefaultConfigPath)
	defPort := 5985
	if s.https {
		defPort = 5986
	}
	s.port = integer("port", m.Port, "IIS_PORT", defPort)
	s.backups = integer("backups", m.Backups, "IIS_BACKUPS", 5)
	envHosts, envSet := env("IIS_PREFETCH_HOSTS")
	s.prefetch = hostList(m.PrefetchHosts, envHosts, envSet && strings.TrimSpace(envHosts) != "", &d)

	s.unreachable = strings.ToLower(strings.TrimSpace(str("unreachable_hosts", m.UnreachableHosts, "IIS_UNREACHABLE_HOSTS", "error")))
	if !slices.Contains(unreachableModes, s.unreachable) {
		d.AddAttributeError(path.Root("unreachable_hosts"), "Invalid unreachable_hosts",
			fmt.Sprintf("unreachable_hosts (or IIS_UNREACHABLE_HOSTS) = %q: use \"error\" (the default: a DP that does not answer fails the run) "+
				"or \"warn\" (its resources keep their last known state, with a warning, and the rest of the fleet is planned).", s.unreachable))
	}

	switch s.auth {
	case "ntlm", "basic", "kerberos", "certificate":
	default:
		d.AddAttributeError(path.Root("auth"), "Unsupported authentication scheme",
			fmt.Sprintf("auth = %q: use \"ntlm\" (the default) or \"kerberos\" (both with message encryption over HTTP), \"certificate\" (over HTTPS), "+
				"or \"basic\" (over HTTPS, or with allow_unencrypted = true).", s.auth))
	}
	if s.auth == "certificate" {
		if !s.https {
			d.AddAttributeError(path.Root("https"), "Certificate authentication needs HTTPS",
				"auth = \"certificate\" authenticates with a TLS client certificate: set https = true (port 5986).")
		}
		if s.clientCert == "" || s.clientKey == "" {
			d.AddAttributeError(path.Root("client_cert"), "Client certificate missing",
				"auth = \"certificate\" needs client_cert and client_key (PEM), e.g. client_cert = file(\"client.pem\") and client_key = file(\"client.key\").")
		}
	}
	if s.port < 1 || s.port > 65535 {
		d.AddAttributeError(path.Root("port"), "Invalid port", fmt.Sprintf("port = %d: use a TCP port from 1 to 65535 (WinRM listens on 5985 for HTTP and 5986 for HTTPS).", s.port))
	}
	if s.backups < 1 || s.backups > 100 {
		d.AddAttributeError(path.Root("backups"), "Invalid number of backups", fmt.Sprintf("backups = %d: keep from 1 to 100 backups; every write makes one, so at least one is kept.", s.backups))
	}
	if s.auth == "basic" && !s.https && !s.allowUnencrypted {
		d.AddAttributeError(path.Root("auth"), "Basic authentication over plain HTTP is refused",
			"Basic sends the password and the file unencrypted over HTTP. Use https = true (port 5986), or auth = \"ntlm\", which encrypts messages over HTTP. "+
				"For a lab only, set allow_unencrypted = true (and AllowUnencrypted on the host's WinRM service).")
	}
	t := str("timeout", m.Timeout, "IIS_TIMEOUT", "60s")
	dur, err := time.ParseDuration(t)
	switch {
	case err != nil:
		d.AddAttributeError(path.Root("timeout"), "Invalid timeout", fmt.Sprintf("timeout = %q is not a duration: write it like \"60s\" or \"2m\".", t))
	case dur < time.Second || dur > time.Hour:
		d.AddAttributeError(path.Root("timeout"), "Invalid timeout", fmt.Sprintf("timeout = %q: use from 1s to 1h.", t))
	}
	s.timeout = dur
	return s, d
}
