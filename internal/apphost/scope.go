package apphost

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Collection describes one IIS configuration collection under
// <system.webServer>: the element path to it and its key attribute.
type Collection struct {
	Path []string // element names below <system.webServer>, the collection element last
	Key  string   // the key attribute of <add> and <remove>
}

// FileExtensions is system.webServer/security/requestFiltering/fileExtensions.
func FileExtensions() Collection {
	return Collection{Path: []string{"security", "requestFiltering", "fileExtensions"}, Key: "fileExtension"}
}

// HiddenSegments is system.webServer/security/requestFiltering/hiddenSegments.
func HiddenSegments() Collection {
	return Collection{Path: []string{"security", "requestFiltering", "hiddenSegments"}, Key: "segment"}
}

// Name is the collection's configuration path, for messages.
func (c Collection) Name() string {
	return "system.webServer/" + strings.Join(c.Path, "/")
}

// ScopeError reports a configuration this package will not guess about.
type ScopeError struct {
	Line int
	Msg  string
}

func (e *ScopeError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// describeScope names a scope the way a user finds it in the file.
func describeScope(location string) string {
	if location == "" {
		return "the server scope (outside any <location>)"
	}
	return fmt.Sprintf("<location path=%q>", location)
}

// sameLocation compares IIS location paths: case-insensitive, and blind to a
// leading or trailing slash, as IIS treats them.
func sameLocation(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, "/"), strings.Trim(b, "/"))
}

// scopeRoots returns the <system.webServer> parents that make up a scope: the
// <configuration> element for the server scope, or the matching <location>
// elements.
func (d *Doc) scopeRoots(location string) []*etree.Element {
	root := d.Root()
	if location == "" {
		return []*etree.Element{root}
	}
	var out []*etree.Element
	for _, l := range root.SelectElements("location") {
		if sameLocation(l.SelectAttrValue("path", ""), location) {
			out = append(out, l)
		}
	}
	return out
}

// chain follows names from e through single children. It returns how far it
// got (the deepest element found, and how many names matched). Two children
// with the same name is an error: IIS rejects such a file, and an edit could
// land in the wrong one.
func (d *Doc) chain(e *etree.Element, names []string) (*etree.Element, int, error) {
	for i, n := range names {
		kids := e.SelectElements(n)
		switch len(kids) {
		case 0:
			return e, i, nil
		case 1:
			e = kids[0]
		default:
			return nil, 0, &ScopeError{Line: d.Line(kids[1]), Msg: fmt.Sprintf("<%s> appears twice in <%s> (lines %d and %d); IIS rejects this file: merge them by hand", n, e.Tag, d.Line(kids[0]), d.Line(kids[1]))}
		}
	}
	return e, len(names), nil
}

// scopeTarget is where a collection lives (or would live) in one scope.
type scopeTarget struct {
	deepest *etree.Element // the collection element when depth == len(path)
	depth   int            // how many elements of the path exist
	path    []string       // "system.webServer" + collection path
	missing bool           // no <location> element exists for the scope
}

func (t scopeTarget) collection() *etree.Element {
	if t.depth == len(t.path) {
		return t.deepest
	}
	return nil
}

// target finds the collection element for a scope, or how much of its path
// exists. Among several <location> elements with the same path, the one that
// already holds the collection wins; two that hold it is ambiguous.
func (d *Doc) target(c Collection, location string) (scopeTarget, error) {
	path := append([]string{"system.webServer"}, c.Path...)
	roots := d.scopeRoots(location)
	if len(roots) == 0 {
		return scopeTarget{deepest: d.Root(), path: path, missing: true}, nil
	}
	best := scopeTarget{depth: -1, path: path}
	var holders []*etree.Element
	for _, r := range roots {
		e, n, err := d.chain(r, path)
		if err != nil {
			return scopeTarget{}, err
		}
		if n == len(path) {
			holders = append(holders, e)
		}
		if n > best.depth {
			best.deepest, best.depth = e, n
		}
	}
	if len(holders) > 1 {
		return scopeTarget{}, &ScopeError{Line: d.Line(holders[1]), Msg: fmt.Sprintf("%s is defined in two %s blocks (lines %d and %d); merge them by hand so the change has one place to go", c.Name(), describeScope(location), d.Line(holders[0]), d.Line(holders[1]))}
	}
	return best, nil
}

// entry is one <add>, <remove> or <clear/> of a collection, in file order.
type entry struct {
	el  *etree.Element
	op  string // "add", "remove", "clear"
	key string
}

func entries(coll *etree.Element, c Collection) []entry {
	var out []entry
	for _, e := range coll.ChildElements() {
		switch e.Tag {
		case "add", "remove":
			out = append(out, entry{el: e, op: e.Tag, key: e.SelectAttrValue(c.Key, "")})
		case "clear":
			out = append(out, entry{el: e, op: "clear"})
		}
	}
	return out
}

// findAdd returns the <add> for key in a collection element, or nil.
func (d *Doc) findAdd(coll *etree.Element, c Collection, key, location string) (*etree.Element, error) {
	var found *etree.Element
	for _, en := range entries(coll, c) {
		if en.op != "add" || !strings.EqualFold(en.key, key) {
			continue
		}
		if found != nil {
			return nil, &ScopeError{Line: d.Line(en.el), Msg: fmt.Sprintf("two <add %s=%q> entries in %s of %s (lines %d and %d); IIS rejects this file with HTTP 500.19: delete one by hand", c.Key, key, c.Name(), describeScope(location), d.Line(found), d.Line(en.el))}
		}
		found = en.el
	}
	return found, nil
}

// parentScopes lists the scopes whose entries a location inherits, outermost
// first: the server scope, then every ancestor path. "A/B/C" inherits from "",
// "A" and "A/B". `<location path="">` belongs to the server scope.
func parentScopes(location string) []string {
	out := []string{""}
	parts := strings.Split(strings.Trim(location, "/"), "/")
	for i := 1; i < len(parts); i++ {
		out = append(out, strings.Join(parts[:i], "/"))
	}
	return out
}

// inherited reports whether key is present in the collection that location
// inherits, after its own existing entries are applied: the case where IIS
// would reject a second <add> with "Cannot add duplicate collection entry".
func (d *Doc) inherited(c Collection, location, key string) (bool, error) {
	if location == "" {
		return false, nil
	}
	present := false
	apply := func(coll *etree.Element) {
		for _, en := range entries(coll, c) {
			switch {
			case en.op == "clear":
				present = false
			case strings.EqualFold(en.key, key):
				present = en.op == "add"
			}
		}
	}
	for _, scope := range append(parentScopes(location), location) {
		roots := d.scopeRoots(scope)
		if scope == "" {
			// The server scope is the top level plus <location path="">.
			for _, l := range d.Root().SelectElements("location") {
				if strings.Trim(l.SelectAttrValue("path", ""), "/") == "" {
					roots = append(roots, l)
				}
			}
		}
		for _, r := range roots {
			e, n, err := d.chain(r, append([]string{"system.webServer"}, c.Path...))
			if err != nil {
				return false, err
			}
			if n == len(c.Path)+1 {
				apply(e)
			}
		}
	}
	return present, nil
}
