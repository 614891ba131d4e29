// Package resources implements the provider's resources. Each reads the live
// applicationHost.config as the truth on every refresh, which is what turns a
// hand edit on a distribution point into drift in `terraform plan`.
package resources

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
)

// ProviderData is what the provider hands its resources.
type ProviderData struct {
	Pool        *hostconfig.Pool
	DefaultHost string
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
func (pd *ProviderData) store(host types.String) (*hostconfig.Store, string, error) {
	h := host.ValueString()
	if h == "" {
		h = pd.DefaultHost
	}
	s, err := pd.Pool.Store(h)
	return s, h, err
}

// edit runs one read-modify-write of the file on a resource's host. A
// failure becomes a diagnostic: "Cannot reach the distribution point", or
// "Cannot <action> <what>" with the error, which names the host, the file
// and what to do. It returns the host's name and whether the edit took.
func (pd *ProviderData) edit(ctx context.Context, host types.String, action string, what func(hostName string) string, fn hostconfig.Edit, diags *diag.Diagnostics) (string, bool) {
	store, name, err := pd.store(host)
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
	store, name, err := pd.store(host)
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
