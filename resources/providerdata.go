// Package resources implements the provider's resources. Each reads the live
// applicationHost.config as the truth on every refresh, which is what turns a
// hand edit on a distribution point into drift in `terraform plan`.
package resources

import (
	"context"
	"errors"
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
	// WarnUnreachable is unreachable_hosts = "warn": a refresh keeps the
	// last known state of the resources on a DP that does not answer, with
	// one warning for the DP, instead of failing the run.
	WarnUnreachable bool
	// reported remembers the DPs whose unreachability this process has
	// told the user about, so that it is told once per DP.
	reported onceSet
	// claims are the entries the resources planned in this process manage,
	// to refuse a plan where two resources manage one entry (claims.go).
	claims claimSet
}

// onceSet hands out each key's first turn once.
type onceSet struct {
	mu   sync.Mutex
	seen map[any]bool
}

// first reports whether this is key's first turn.
func (o *onceSet) first(key any) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[key] {
		return false
	}
	if o.seen == nil {
		o.seen = map[any]bool{}
	}
	o.seen[key] = true
	return true
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
// and what to do. Every write that fails gets its own error, unreachable
// host or not (unreachable_hosts does not apply to writes): a write that
// did not report one would be recorded as done. It returns the host's name
// and whether the edit took.
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
		if hostconfig.IsUnreachable(err) {
			diags.AddError(fmt.Sprintf("Cannot %s %s: the distribution point %s does not answer", action, what(name), name),
				err.Error()+".\n\nNothing was written. Bring "+name+" back and run terraform apply again; if it is gone for good, "+retireAdvice(name))
			return name, false
		}
		diags.AddError("Cannot "+action+" "+what(name), err.Error())
		return name, false
	}
	return name, true
}

// retireAdvice says how to stop managing a DP that is gone for good.
func retireAdvice(name string) string {
	return "take " + name + " out of the configuration and its resources out of the state: a removed block with " +
		"lifecycle { destroy = false } (Terraform 1.7 and later) or terraform state rm (see the README of the " +
		"configmgr-distribution-point module)."
}

// readUse says what a reader does with a DP that does not answer.
type readUse int

const (
	// refreshing: a resource's Read, which has a last known state to keep
	// when unreachable_hosts is "warn".
	refreshing readUse = iota
	// needing: a reader without a state to fall back on (a data source, an
	// import), for which a DP that does not answer is always an error.
	needing
)

// doc returns the file on a resource's host as this run last read it, with
// failures reported like edit's. A DP that does not answer is reported once
// per run for all the resources on it (the first to ask carries the
// diagnostic; the others keep their state and say nothing): an error by
// default, a warning when unreachable_hosts is "warn" and the reader has a
// state to keep. ok is false whenever there is no document.
func (pd *ProviderData) doc(ctx context.Context, host types.String, use readUse, what func(hostName string) string, diags *diag.Diagnostics) (*apphost.Doc, *hostconfig.Store, string, bool) {
	pd.StartPrefetch(ctx)
	store, name, err := pd.store(ctx, host)
	if err != nil {
		diags.AddError("Cannot reach the distribution point", err.Error())
		return nil, nil, name, false
	}
	d, err := store.Read(ctx)
	var down *hostconfig.UnreachableError
	switch {
	case err == nil:
		return d, store, name, true
	case !errors.As(err, &down):
		diags.AddError("Cannot read "+what(name), err.Error())
	case pd.WarnUnreachable && use == refreshing:
		if pd.reported.first(warnKey{store}) {
			tflog.Warn(ctx, "distribution point unreachable: its resources keep their last known state", map[string]any{"host": name, "error": err.Error()})
			diags.AddWarning(fmt.Sprintf("Distribution point %s is unreachable: its resources keep their last known state", name),
				err.Error()+".\n\nunreachable_hosts = \"warn\": the resources on "+name+" were not refreshed, so drift there is not detected, "+
					"and a change planned for them will fail at apply. The rest of the fleet was refreshed. If "+name+" is gone for good, "+retireAdvice(name))
		}
	case use == needing || pd.reported.first(errorKey{store}):
		diags.AddError(fmt.Sprintf("Cannot reach the distribution point %s", name),
			err.Error()+".\n\nThis is reported once for every resource on "+name+". If it is down for a while, set unreachable_hosts = \"warn\" "+
				"in the provider block (or IIS_UNREACHABLE_HOSTS=warn) to plan the rest of the fleet while its resources keep their last known state; "+
				"if it is gone for good, "+retireAdvice(name))
	default:
		// Another resource of this run carries the error for this DP: the
		// run fails, and this resource keeps its state meanwhile.
		tflog.Debug(ctx, "distribution point unreachable, already reported", map[string]any{"host": name})
	}
	return nil, nil, name, false
}

// Keys of ProviderData.reported: one error and one warning per host.
type (
	errorKey struct{ s *hostconfig.Store }
	warnKey  struct{ s *hostconfig.Store }
)

// ReadDoc is doc for a data source: it has no state to keep, so a DP that
// does not answer is an error whatever unreachable_hosts says.
func (pd *ProviderData) ReadDoc(ctx context.Context, host types.String, what func(hostName string) string, diags *diag.Diagnostics) (*apphost.Doc, *hostconfig.Store, string, bool) {
	return pd.doc(ctx, host, needing, what, diags)
}
