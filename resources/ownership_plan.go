package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

// planClaim is a resource's ModifyPlan for a create or an update: when the
// host can be read, it checks the location's site (an error), and the
// claim the apply will make against the file's ownership record: a second
// manager with another value is a warning naming it (the apply refuses
// it), and the plan warns when the create adopts an
// entry that is already there, naming its current value. m is the
// planned entry; what names it for messages. A host that cannot be read
// now is left to the apply, which checks again.
func (pd *ProviderData) planClaim(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, host types.String, m managed, what func(string) string) {
	if pd == nil || req.Plan.Raw.IsNull() || m.unknown {
		return // destroy, values known only at apply, or the provider is not configured yet
	}
	creating := req.State.Raw.IsNull()
	if !creating && req.Plan.Raw.Equal(req.State.Raw) {
		return // nothing to write: no claim to check
	}
	c, diags := loadCache(ctx, req.Private)
	if diags.HasError() {
		return
	}
	store, name, err := pd.store(ctx, host)
	if err != nil {
		tflog.Debug(ctx, "ownership not checked at plan time: the host is not reachable yet", map[string]any{"host": name, "error": err.Error()})
		return
	}
	d, err := store.Read(ctx)
	if err != nil {
		tflog.Debug(ctx, "ownership not checked at plan time: the file cannot be read", map[string]any{"host": name, "error": err.Error()})
		return
	}
	if err := checkSite(d, m.location, m.allowMissingSite); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("location"), "Cannot manage "+what(name)+": no such site or application", fmt.Sprintf("%s on %s: %v", store.Path(), name, err))
		return
	}
	rec, err := ownership.Parse(d.Bytes())
	if err != nil {
		resp.Diagnostics.AddError("Cannot plan "+what(name), fmt.Sprintf("%s on %s: %v", store.Path(), name, err))
		return
	}
	if err := m.overlap(d, &rec); err != nil {
		// A warning for the reason below; the apply refuses it.
		resp.Diagnostics.AddWarning(capitalized(what(name))+" is managed by another kind of resource: apply will refuse it", err.Error())
		return
	}
	id := c.Owner
	if id == "" {
		id = newOwnerID() // a create: the claim of an owner not yet known
	}
	s := m.subject(d)
	e, err := rec.Claim(s, m.owner(id), c.TakenOver)
	if err != nil {
		// A warning, not an error: Terraform plans the configuration in
		// normal mode before a destroy too (its pre-destroy refresh), and
		// an error there would stop `terraform destroy` of the very state
		// that wants to let go. The apply refuses the claim, before writing.
		resp.Diagnostics.AddWarning(capitalized(what(name))+" is managed by another resource with another value: apply will refuse it", m.conflict(err).Error())
		return
	}
	if !creating {
		return
	}
	// The claim keeps the owners whose value the file holds, then this
	// one: the others are those the create will share the entry with.
	others := e.Owners[:len(e.Owners)-1]
	switch {
	case len(others) > 0:
		names := make([]string, len(others))
		for i, o := range others {
			names[i] = o.Describe()
		}
		resp.Diagnostics.AddWarning(capitalized(what(name))+" is already managed",
			fmt.Sprintf("Apply shares the entry (now %s) with %s: destroying one of them leaves it as it is, and the last one gives back its value from before Terraform (%s). "+
				"If that resource is this one under a former address, a `moved` block says so. If no state holds it because its apply was killed before it saved its state (a second Ctrl-C, a crash), import this resource instead of creating it (`terraform import <address> %q`: the import takes over every recorded claim), and its destroy then gives back the value from before Terraform.", s.Current, strings.Join(names, "; and by "), e.Before, m.id))
	case m.exists != nil && m.exists(d):
		resp.Diagnostics.AddWarning(capitalized(what(name))+" will be adopted",
			fmt.Sprintf("%s on %s already has the entry (%s): apply adopts it and sets %s, and destroy gives back %s.", store.Path(), name, s.Current, m.want, s.Current))
	}
}
