package apphost

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// level is one step of the configuration hierarchy IIS merges at a path: the
// server scope, or one location path, with the elements that hold it in the
// order IIS reads them.
type level struct {
	scope string           // "" for the server scope, else the location path as the file writes it
	roots []*etree.Element // <configuration> and <location path=""> blocks, or the <location path=scope> blocks
}

// levels returns the scopes that apply at location, outermost first: the
// server scope (the top level, then any `<location path="">`), then every
// `<location>` whose path is location or one of its ancestors, shallowest
// first ("Default Web Site", "Default Web Site/SMS_DP_SMSPKG$", ...).
// Several <location> blocks for one path apply in file order. Levels with no
// <location> block are left out.
func (d *Doc) levels(location string) []level {
	root := d.Root()
	locs := root.SelectElements("location")
	server := level{roots: []*etree.Element{root}}
	for _, l := range locs {
		if strings.Trim(l.SelectAttrValue("path", ""), "/") == "" {
			server.roots = append(server.roots, l)
		}
	}
	out := []level{server}
	// Empty segments ("a//b") name no folder and are skipped: a prefix
	// "a/" would match <location path="a"> a second time.
	var parts []string
	for _, p := range strings.Split(location, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		var lv level
		for _, l := range locs {
			if p := l.SelectAttrValue("path", ""); strings.Trim(p, "/") != "" && sameLocation(p, prefix) {
				if len(lv.roots) == 0 {
					lv.scope = strings.Trim(p, "/")
				}
				lv.roots = append(lv.roots, l)
			}
		}
		if len(lv.roots) > 0 {
			out = append(out, lv)
		}
	}
	return out
}

// merged is one entry of a collection after IIS's merge.
type merged struct {
	key   string
	el    *etree.Element
	scope string
	level int // index into the levels the merge ran over
}

// mergeCollection applies every level's <add>, <remove> and <clear/> in
// order, as IIS does. An <add> for a key the merged list already has is the
// configuration error IIS answers with HTTP 500.19 ("Cannot add duplicate
// collection entry"): it is reported, not guessed around.
func (d *Doc) mergeCollection(levels []level, c Collection) ([]merged, error) {
	path := append([]string{"system.webServer"}, c.Path...)
	var list []merged
	for li, lv := range levels {
		for _, r := range lv.roots {
			coll, n, err := d.chain(r, path)
			if err != nil {
				return nil, err
			}
			if n != len(path) {
				continue
			}
			for _, en := range entries(coll, c) {
				switch en.op {
				case "clear":
					list = nil
				case "remove":
					list = withoutKey(list, en.key)
				case "add":
					for _, m := range list {
						if strings.EqualFold(m.key, en.key) {
							return nil, &ScopeError{Line: d.Line(en.el), Msg: fmt.Sprintf("<add %s=%q> in %s duplicates the entry on line %d (in %s) without a <remove> or <clear/> before it; "+
								"IIS answers HTTP 500.19 (cannot add duplicate collection entry) for every request there: delete one by hand",
								c.Key, en.key, describeScope(lv.scope), d.Line(m.el), describeScope(m.scope))}
						}
					}
					list = append(list, merged{key: en.key, el: en.el, scope: lv.scope, level: li})
				}
			}
		}
	}
	return list, nil
}

func withoutKey(list []merged, key string) []merged {
	out := list[:0:0]
	for _, m := range list {
		if !strings.EqualFold(m.key, key) {
			out = append(out, m)
		}
	}
	return out
}

// mergeAttr returns the value of a setting the deepest level sets.
func (d *Doc) mergeAttr(levels []level, s Setting) (SettingValue, error) {
	path := append([]string{"system.webServer"}, s.rel()...)
	v := s.defaultValue()
	for _, lv := range levels {
		for _, r := range lv.roots {
			el, n, err := d.chain(r, path)
			if err != nil {
				return SettingValue{}, err
			}
			if n != len(path) {
				continue
			}
			raw, ok := d.attrValue(el, s.Attr())
			if !ok {
				continue
			}
			nv, err := s.parse(raw)
			if err != nil {
				return SettingValue{}, &ScopeError{Line: d.Line(el), Msg: fmt.Sprintf("<%s %s=%q> in %s: %v; fix the value by hand", s.Element(), s.Attr(), raw, describeScope(lv.scope), err)}
			}
			nv.Set, nv.Scope, nv.Line = true, lv.scope, d.Line(el)
			v = nv
		}
	}
	return v, nil
}

// attrValue returns an attribute's (unescaped) value and whether it is there.
func (d *Doc) attrValue(e *etree.Element, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.FullKey() == name {
			return a.Value, true
		}
	}
	return "", false
}

// ExtensionEntry is a file extension in the effective list.
type ExtensionEntry struct {
	Extension string // as written in the file
	Allowed   bool
	Scope     string // the scope whose <add> it is: "" for the server scope, else a location path
	Line      int
}

// SegmentEntry is a hidden segment in the effective list.
type SegmentEntry struct {
	Segment string // as written in the file
	Scope   string // the scope whose <add> it is
	Line    int
	el      *etree.Element
}

// Policy is request filtering as IIS applies it at one location: every
// scope from the server down, merged.
type Policy struct {
	Location       string
	FileExtensions []ExtensionEntry // in the order IIS lists them
	HiddenSegments []SegmentEntry
	settings       map[Setting]SettingValue
}

// Setting returns the effective value of s.
func (p *Policy) Setting(s Setting) SettingValue {
	if v, ok := p.settings[s]; ok {
		return v
	}
	return s.defaultValue()
}

// Extension returns the effective entry for ext (case-insensitive), or nil.
func (p *Policy) Extension(ext string) *ExtensionEntry {
	for i := range p.FileExtensions {
		if strings.EqualFold(p.FileExtensions[i].Extension, ext) {
			return &p.FileExtensions[i]
		}
	}
	return nil
}

// Segment returns the effective hidden segment equal to seg
// (case-insensitive), or nil when seg is not hidden.
func (p *Policy) Segment(seg string) *SegmentEntry {
	for i := range p.HiddenSegments {
		if strings.EqualFold(p.HiddenSegments[i].Segment, seg) {
			return &p.HiddenSegments[i]
		}
	}
	return nil
}

// Effective merges request filtering at location ("" for the server, or an
// IIS path such as "Default Web Site/SMS_DP_SMSPKG$/PKG00012") the way IIS
// does: the server scope, then each <location> on the way down.
//
// Known simplification: a <location inheritInChildApplications="false">
// is applied to every path below it; telling applications from folders
// would need the site's <application> list, and ConfigMgr's package shares
// are virtual directories of the root application anyway.
func (d *Doc) Effective(location string) (*Policy, error) {
	levels := d.levels(location)
	p := &Policy{Location: strings.Trim(location, "/"), settings: map[Setting]SettingValue{}}
	exts, err := d.mergeCollection(levels, FileExtensions())
	if err != nil {
		return nil, err
	}
	for _, m := range exts {
		allowed, err := parseAllowedAttr(d, m)
		if err != nil {
			return nil, err
		}
		p.FileExtensions = append(p.FileExtensions, ExtensionEntry{Extension: m.key, Allowed: allowed, Scope: m.scope, Line: d.Line(m.el)})
	}
	segs, err := d.mergeCollection(levels, HiddenSegments())
	if err != nil {
		return nil, err
	}
	for _, m := range segs {
		p.HiddenSegments = append(p.HiddenSegments, SegmentEntry{Segment: m.key, Scope: m.scope, Line: d.Line(m.el), el: m.el})
	}
	for _, s := range Settings() {
		v, err := d.mergeAttr(levels, s)
		if err != nil {
			return nil, err
		}
		p.settings[s] = v
	}
	return p, nil
}

// parseAllowedAttr reads allowed="..." of a merged <add fileExtension>, with
// the same rules (and message) as the extension resource.
func parseAllowedAttr(d *Doc, m merged) (bool, error) {
	en := Entry{Key: m.key, attrs: map[string]string{}, doc: d, el: m.el}
	for _, a := range m.el.Attr {
		en.attrs[a.FullKey()] = a.Value
	}
	return parseAllowed(FileExtensions(), en, m.scope)
}
