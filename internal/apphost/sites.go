package apphost

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Sites lists the names of the file's sites (<system.applicationHost>
// <sites><site name="...">), in file order.
func (d *Doc) Sites() []string {
	var out []string
	for _, s := range d.sites() {
		out = append(out, s.SelectAttrValue("name", ""))
	}
	return out
}

func (d *Doc) sites() []*etree.Element {
	return d.Root().FindElements("system.applicationHost/sites/site")
}

// SiteError is a location whose site, or whose application or virtual
// directory, the file's <sites> does not have.
type SiteError struct {
	Location string
	// Site is the site's name as <sites> spells it when the site exists
	// and the name below it is what is missing; "" when the site is.
	Site string
	// Below is the name below the site that no application or virtual
	// directory of Site has ("" when the site is missing).
	Below string
	Msg   string
}

func (e *SiteError) Error() string { return e.Msg }

// CheckSite reports a location that names nothing IIS serves: a first
// segment that is no site of the file (a typo such as "Default Web Sit"),
// or, below the site, a first segment that is no application or virtual
// directory of that site (the package share "SMS_DP_SMSPKG" without its
// "$").
//
// Why this is the test: a <location path> in applicationHost.config is a
// site name followed by a URL path in that site ("Default Web
// Site/MyApplication/Admin/xyz.html",
// https://learn.microsoft.com/en-us/previous-versions/ms178692(v=vs.140)),
// and the URL path of an application or virtual directory is its path
// attribute ("the application's path becomes part of the site's URL",
// https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/application/;
// "the virtual directory name becomes part of the application's URL",
// https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/application/virtualdirectory).
// Names are compared case-insensitively, as elsewhere in this package for
// site names and URL paths (IIS serves "/sms_dp_smspkg$" from the share
// "/SMS_DP_SMSPKG$"; no Microsoft page found states it for <location>, so
// the check errs on the side that never refuses a spelling IIS might use).
//
// Only the first segment below the site is checked: deeper segments are
// folders on disk (a package share's PKG00012), which the file does not
// list. The first one could be a folder too, under the site's root virtual
// directory; the file cannot tell, and a misspelt application is the
// common mistake, so it is refused here and a caller offers a way out.
func (d *Doc) CheckSite(location string) error {
	location = strings.Trim(location, "/")
	if location == "" {
		return nil
	}
	name, rest, _ := strings.Cut(location, "/")
	var site *etree.Element
	var names []string
	for _, s := range d.sites() {
		n := s.SelectAttrValue("name", "")
		if strings.EqualFold(n, name) {
			site = s
			break
		}
		names = append(names, fmt.Sprintf("%q", n))
	}
	if site == nil {
		list := "none"
		if len(names) > 0 {
			list = strings.Join(names, ", ")
		}
		return &SiteError{Location: location, Msg: fmt.Sprintf("no site is named %q in <sites> (the sites are %s), so this location would configure nothing IIS serves", name, list)}
	}
	below, _, _ := strings.Cut(strings.Trim(rest, "/"), "/")
	if below == "" {
		return nil
	}
	var quoted []string
	for _, p := range sitePaths(site) {
		first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if strings.EqualFold(first, below) {
			return nil
		}
		quoted = append(quoted, fmt.Sprintf("%q", p))
	}
	has := "it has none below its root"
	if len(quoted) > 0 {
		has = "it has " + strings.Join(quoted, ", ")
	}
	siteName := site.SelectAttrValue("name", "")
	return &SiteError{Location: location, Site: siteName, Below: below, Msg: fmt.Sprintf(
		"site %q has no application or virtual directory named %q in <sites> (%s), so this location configures nothing IIS serves unless %q is a physical folder under the site's root",
		siteName, "/"+below, has, below)}
}

// sitePaths returns the URL paths of a site's applications and virtual
// directories below its root, in file order, each once: an application's
// path ("/CCM_Client"), and each of its virtual directories' application
// path + virtual directory path ("/" + "/SMS_DP_SMSPKG$", "/a" + "/v" =
// "/a/v"). The site root ("/") is left out: it would make every name
// valid.
func sitePaths(site *etree.Element) []string {
	var out []string
	add := func(p string) {
		if p == "/" {
			return
		}
		for _, q := range out {
			if strings.EqualFold(q, p) {
				return
			}
		}
		out = append(out, p)
	}
	for _, app := range site.SelectElements("application") {
		base := "/" + strings.Trim(app.SelectAttrValue("path", "/"), "/")
		add(base)
		for _, v := range app.SelectElements("virtualDirectory") {
			add(joinURLPath(base, v.SelectAttrValue("path", "/")))
		}
	}
	return out
}

// joinURLPath joins an application path and a virtual directory path,
// both "/"-rooted: "/" + "/v" = "/v", "/a" + "/" = "/a", "/a" + "/v" =
// "/a/v".
func joinURLPath(app, vdir string) string {
	a := strings.Trim(app, "/")
	v := strings.Trim(vdir, "/")
	switch {
	case a == "":
		return "/" + v
	case v == "":
		return "/" + a
	}
	return "/" + a + "/" + v
}
