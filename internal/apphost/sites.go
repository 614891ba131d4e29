package apphost

import (
	"fmt"
	"strings"
)

// Sites lists the names of the file's sites (<system.applicationHost>
// <sites><site name="...">), in file order.
func (d *Doc) Sites() []string {
	var out []string
	for _, s := range d.Root().FindElements("system.applicationHost/sites/site") {
		out = append(out, s.SelectAttrValue("name", ""))
	}
	return out
}

// SiteError is a location whose site, or whose application or virtual
// directory, the file's <sites> does not have.
type SiteError struct {
	Location string
	Msg      string
}

func (e *SiteError) Error() string { return e.Msg }

// CheckSite reports a location whose first segment names no site of the
// file: IIS applies a <location> only to requests for that path, so such a
// location changes nothing that is served (a typo such as "Default Web
// Sit"). IIS compares site names case-insensitively. Below the site only
// the site's applications and virtual directories are in the file; a
// folder under them (a package share's PKG00012) is on disk, so a path
// below the site is not checked.
func (d *Doc) CheckSite(location string) error {
	location = strings.Trim(location, "/")
	if location == "" {
		return nil
	}
	name, _, _ := strings.Cut(location, "/")
	var names []string
	for _, s := range d.Sites() {
		if strings.EqualFold(s, name) {
			return nil
		}
		names = append(names, fmt.Sprintf("%q", s))
	}
	list := "none"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return &SiteError{Location: location, Msg: fmt.Sprintf("no site is named %q in <sites> (the sites are %s), so this location would configure nothing IIS serves", name, list)}
}
