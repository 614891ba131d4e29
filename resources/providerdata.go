// Package resources implements the provider's resources. Each reads the live
// applicationHost.config as the truth on every refresh, which is what turns a
// hand edit on a distribution point into drift in `terraform plan`.
package resources

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
)

// ProviderData is what the provider hands its resources.
type ProviderData struct {
	Pool        *hostconfig.Pool
	DefaultHost string
	// PrefetchHosts (the provider's prefetch_hosts) are read all at once
	// when the first read of the process begins; see StartPrefetch.
	PrefetchHosts []string
	prefetch      sync.Once
}

// StartPrefetch is called by every resource and data source Read before it reads
// its host. The first call of the process starts reading PrefetchHosts in
// the background, hostconfig.PrefetchLimit at a time, so that the resources
// on them find the file in the cache instead of reading hosts one by one as
// Terraform reaches them (10 at a time by default). A Read means a refresh,
// which reads every host; an apply walk creates and updates without
// reading, so it starts no prefetch.
//
// The reads outlive the Read that started them (its context without its
// cancellation, for the log fields); each is bounded by the transport's
// timeout. Failures are logged: the resources on a failed host read it
// again, with retries, and report the error against themselves.
func (pd *ProviderData) StartPrefetch(ctx context.Context) {
	if len(pd.PrefetchHosts) == 0 {
		return
	}
	pd.prefetch.Do(func() {
		ctx := tflog.SetField(context.WithoutCancel(ctx), "prefetch_hosts", len(pd.PrefetchHosts))
		go func() {
			start := time.Now()
			failed := pd.Pool.Prefetch(ctx, pd.PrefetchHosts)
			for h, err := range failed {
				tflog.Warn(ctx, "Prefetch of a host failed; the resources on it will read it again and report the error", map[string]any{"host": h, "error": err.Error()})
			}
			tflog.Debug(ctx, "Prefetch finished", map[string]any{"failed": len(failed), "duration_ms": time.Since(start).Milliseconds()})
		}()
	})
}

// configure extracts ProviderData in a resource's Configure.
func configure(data any, diags *diag.Diagnostics) *ProviderData {
	if data == nil { // the provider is not configured yet (validation)
		return nil
	}
	pd, ok := data.(*ProviderData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *resources.ProviderData, got %T: this is a bug in the provider, please report it", data))
		return nil
	}
	return pd
}

// store returns the Store of a resource's host: its own host argument when
// set, the provider's otherwise. The name returned is for messages.
func (pd *ProviderData) store(ctx context.Context, host types.String) (*hostconfig.Store, string, error) {
	h := host.ValueString()
	if h == "" {
		h = pd.DefaultHost
	}
	s, err := pd.Pool.Store(ctx, h)
	return s, h, err
}

// edit runs one read-modify-write of the file on a resource's host. A
// failure becomes a diagnostic: "Cannot reach the distribution point", or
// "Cannot <action> <what>" with the error, which names the host, the file
// and what to do. It returns the host's name and whether the edit took.
func (pd *ProviderData) edit(ctx context.Context, host types.String, action string, what func(hostName string) string, fn hostconfig.Edit, diags *diag.Diagnostics) (string, bool) {
	// A write once asked for is not abandoned: Terraform's interrupt
	// (Ctrl-C: StopProvider, which cancels ctx) arrives while it may be on
	// the host, and an abandoned write's answer is lost, so the state would
	// not know what the file now says. Terraform waits for the operations in
	// flight after an interrupt; each command is bounded by the transport's
	// timeout, and a second interrupt ends the process.
	ctx = context.WithoutCancel(ctx)
	store, name, err := pd.store(ctx, host)
	if err != nil {
		diags.AddError("Cannot reach the distribution point", err.Error())
		return name, false
	}
	if _, err := store.Update(ctx, fn); err != nil {
		diags.AddError("Cannot "+action+" "+what(name), err.Error())
		return name, false
	}
	return name, true
}

// doc returns the file on a resource's host as this run last read it, with
// failures reported like edit's.
func (pd *ProviderData) doc(ctx context.Context, host types.String, what func(hostName string) string, diags *diag.Diagnostics) (*apphost.Doc, *hostconfig.Store, string, bool) {
	pd.StartPrefetch(ctx)
	store, name, err := pd.store(ctx, host)
	if err != nil {
		diags.AddError("Cannot reach the distribution point", err.Error())
		return nil, nil, name, false
	}
	d, err := store.Read(ctx)
	if err != nil {
		diags.AddError("Cannot read "+what(name), err.Error())
		return nil, nil, name, false
	}
	return d, store, name, true
}
