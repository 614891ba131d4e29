package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/resources"
)

// dialer turns the provider settings into WinRM clients. Missing connection
// details are reported here, when a resource first needs the host, so that a
// configuration with no resources (or `terraform validate`) needs none.
func (s settings) dialer() hostconfig.Dialer {
	return func(ctx context.Context, host string) (remotefile.Runner, error) {
		if len(s.unknown) > 0 {
			return nil, fmt.Errorf("the provider arguments %s are not known until apply (they depend on other resources); "+
				"give them values known at plan time, or apply those resources first with -target", strings.Join(s.unknown, ", "))
		}
		var missing []string
		if host == "" {
			missing = append(missing, "host (or IIS_HOST)")
		}
		// A client certificate replaces both; a keytab the password.
		if s.username == "" && s.auth != "certificate" {
			missing = append(missing, "username (or IIS_USERNAME)")
		}
		keytabInstead := s.auth == "kerberos" && s.keytab != ""
		if s.password == "" && s.auth != "certificate" && !keytabInstead {
			missing = append(missing, "password (or IIS_PASSWORD)")
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("the iis provider needs %s to reach the distribution point: set them in the provider block or the environment", strings.Join(missing, ", "))
		}
		var ca []byte
		if s.caCert != "" {
			ca = []byte(s.caCert)
		}
		name, port, err := resources.SplitHostPort(host)
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", host, err)
		}
		if port == 0 {
			port = s.port
		}
		// The endpoint actually dialled: a resource's host = "name:port"
		// overrides the provider's port, which "iis provider configured"
		// logs only as the default.
		tflog.Debug(ctx, "iis provider connecting to a distribution point", map[string]any{
			"host": host, "endpoint": net.JoinHostPort(name, strconv.Itoa(port)), "port": port, "https": s.https, "auth": s.auth,
		})
		c, err := winrmclient.New(winrmclient.Config{
			Host:             name,
			Port:             port,
			HTTPS:            s.https,
			Insecure:         s.insecure,
			CACert:           ca,
			TLSServerName:    s.tlsServerName,
			Username:         s.username,
			Password:         s.password,
			Auth:             s.auth,
			AllowUnencrypted: s.allowUnencrypted,
			ClientCert:       []byte(s.clientCert),
			ClientKey:        []byte(s.clientKey),
			Realm:            s.realm,
			Krb5Conf:         s.krb5Conf,
			SPN:              s.spn,
			Keytab:           s.keytab,
			Timeout:          s.timeout,
			// The naive mode `make bench` compares against.
			Naive: s.naive,
		})
		if err != nil {
			return nil, err
		}
		return Runner(c), nil
	}
}

// pool is where the resources find each host's Store.
func (s settings) pool(opts hostconfig.Options, gzip bool) *hostconfig.Pool {
	return hostconfig.NewPool(s.dialer(), s.configPath, s.backups, opts, gzip, s.endpoint)
}

// endpoint names the WinRM endpoint a host reaches, lower case with the
// provider's port filled in, so that "dp01" and "DP01:5985" share a Store.
// A host that does not parse keeps its own name: dialling it reports why.
func (s settings) endpoint(host string) string {
	name, port, err := resources.SplitHostPort(host)
	if err != nil {
		return strings.ToLower(host)
	}
	if port == 0 {
		port = s.port
	}
	return strings.ToLower(net.JoinHostPort(name, strconv.Itoa(port)))
}

// Runner adapts a WinRM client to the remote file layer.
func Runner(c *winrmclient.Client) remotefile.Runner { return runner{c} }

type runner struct{ c *winrmclient.Client }

// Close releases the client's kept shells (hostconfig.Closer).
func (r runner) Close(ctx context.Context) error { return r.c.Close(ctx) }

func (r runner) RunPowerShell(ctx context.Context, script string, stdin []byte) (remotefile.Output, error) {
	res, err := r.c.RunPowerShell(ctx, script, stdin)
	return remotefile.Output{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode}, err
}
