// Package resources implements the provider's resources. Each reads the live
// applicationHost.config as the truth on every refresh, which is what turns a
// hand edit on a distribution point into drift in `terraform plan`.
package resources

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
