package resources

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// allowMissingSiteAttribute opts a resource out of the site check: a
// location whose site, application or virtual directory another tool
// (ConfigMgr's DP role, a pipeline) creates after this apply, or whose
// first name below the site is a physical folder under the site's root.
func allowMissingSiteAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "`true` skips the check that `location` names what the file's `<sites>` declares: its first name must be a site, " +
			"and its next name, when there is one, the first name of an application or virtual directory of that site " +
			"(`SMS_DP_SMSPKG$` in `Default Web Site/SMS_DP_SMSPKG$/PKG00012`; what follows is not checked). " +
			"Set it for a site or application another tool creates later, or for a physical folder under the site's root. " +
			"Without it, such a location is an error at plan time (when the DP can be read) " +
			"and at apply: a `<location>` for a path IIS does not serve changes nothing.",
	}
}

// checkSite is the site check of a location (see apphost.CheckSite), with
// the next step for each way it fails and the way out.
func checkSite(d *apphost.Doc, location string, allowMissing bool) error {
	if allowMissing || location == "" {
		return nil
	}
	err := d.CheckSite(location)
	if err == nil {
		return nil
	}
	var se *apphost.SiteError
	if errors.As(err, &se) && se.Below != "" {
		return fmt.Errorf("location = %q: %v. Check its spelling against the applications and virtual directories of %q in IIS Manager; "+
			"for such a folder, or an application another tool creates later, set allow_missing_site = true", location, err, se.Site)
	}
	return fmt.Errorf("location = %q: %v. Check its spelling against IIS Manager's Sites; if another tool creates it later, set allow_missing_site = true", location, err)
}
