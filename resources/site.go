package resources

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// allowMissingSiteAttribute opts a resource out of the site check: a
// location whose site another tool (ConfigMgr's DP role, a pipeline)
// creates after this apply.
func allowMissingSiteAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "`true` skips the check that `location` starts with the name of a site in the file's `<sites>`, " +
			"for a site another tool creates later. Without it, such a location is an error at plan time (when the DP can be read) " +
			"and at apply: a `<location>` for a site IIS does not serve changes nothing.",
	}
}

// checkSite is the site check of a location (see apphost.CheckSite), with
// the way out.
func checkSite(d *apphost.Doc, location string, allowMissing bool) error {
	if allowMissing || location == "" {
		return nil
	}
	if err := d.CheckSite(location); err != nil {
		return fmt.Errorf("location = %q: %v. Check its spelling against IIS Manager's Sites; if another tool creates it later, set allow_missing_site = true", location, err)
	}
	return nil
}
