package hostconfig

import (
	"sort"
	"strings"

	"github.com/beevik/etree"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// touchedPaths lists, in appcmd's path form, every location whose request
// filtering section differs between before and after: the write script has
// IIS (appcmd list config PATH -section:...) read the section at each, so a
// change IIS refuses anywhere it was made is rolled back. appcmd names the
// server level MACHINE/WEBROOT/APPHOST and a location by its path as written
// in <location path="...">, e.g. "Default Web Site/SMS_DP_SMSPKG$" (appcmd's
// "list config" help: "appcmd list config [path] [-section:name]"). A batch
// that changed no request filtering section (it cannot happen with this
// provider's edits, but costs nothing to handle) is checked at the server
// level.
func touchedPaths(before, after *apphost.Doc) []string {
	b, a := sectionsByScope(before), sectionsByScope(after)
	var out []string
	for scope := range union(b, a) {
		if b[scope].text == a[scope].text {
			continue
		}
		p := a[scope].path
		if p == "" {
			p = b[scope].path
		}
		if scope == "" {
			p = remotefile.ServerPath
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == remotefile.ServerPath) != (out[j] == remotefile.ServerPath) {
			return out[i] == remotefile.ServerPath // the server level first
		}
		return out[i] < out[j]
	})
	if len(out) == 0 {
		out = []string{remotefile.ServerPath}
	}
	return out
}

func union(a, b map[string]scopeText) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// scopeText is one scope's request filtering sections: the location path as
// first spelled in the file, and the sections' text in document order.
type scopeText struct{ path, text string }

// sectionsByScope maps each scope (lower-cased location path, "" for the
// server: IIS compares location paths case-insensitively) to its request
// filtering sections. A <location path=""> is the server level.
func sectionsByScope(d *apphost.Doc) map[string]scopeText {
	out := map[string]scopeText{}
	root := d.Root()
	add := func(path string, parent *etree.Element) {
		key := strings.ToLower(path)
		st, ok := out[key]
		if !ok {
			st.path = path
		}
		for _, rf := range parent.FindElements("./system.webServer/security/requestFiltering") {
			doc := etree.NewDocument()
			doc.SetRoot(rf.Copy())
			s, _ := doc.WriteToString()
			st.text += s
		}
		out[key] = st
	}
	add("", root)
	for _, l := range root.SelectElements("location") {
		add(strings.Trim(l.SelectAttrValue("path", ""), "/"), l)
	}
	return out
}
