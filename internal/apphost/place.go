package apphost

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Made records the elements an edit created in a scope to hold a new entry
// or attribute, so that the inverse edit takes exactly those away and the
// file gets its bytes back. It lives in a resource's private state.
type Made struct {
	Location string   `json:"location"`
	Path     []string `json:"path"` // from the scope root: "system.webServer", "security", ...
	// From is the index in Path of the first element created; len(Path)
	// when none was (the record then only says the parent was opened up).
	From        int  `json:"from"`
	NewLocation bool `json:"new_location,omitempty"` // the <location> element was created too
	// Tail is how the receiving parent's start tag ended (" />", "/>") when
	// it was self-closing and had to be opened up; "" when it was not.
	Tail string `json:"tail,omitempty"`
}

func (m Made) changed() bool { return m.NewLocation || m.From < len(m.Path) || m.Tail != "" }

func fullPath(rel []string) []string { return append([]string{"system.webServer"}, rel...) }

// ensure makes the element at rel (a path below <system.webServer>) exist in
// a scope, creating what is missing, the deepest element as `<x />`.
func (d *Doc) ensure(location string, rel []string) ([]byte, Made, error) {
	t, err := d.target(Collection{Path: rel}, location)
	if err != nil {
		return nil, Made{}, err
	}
	m := Made{Location: location, Path: t.path, From: t.depth}
	if t.depth == len(t.path) {
		return d.src, m, nil
	}
	var out []byte
	if t.missing {
		m.NewLocation, m.From = true, 0
		if d.span(d.Root()).selfClosing { // `<configuration/>`: nothing real, but no reason to break
			m.Tail = d.selfClosingTail(d.Root())
		}
		open := renderOpen("location", []Attr{{"path", location}})
		out = d.insertChild(d.Root(), d.nestEmpty(append([]string{open}, t.path...)))
	} else {
		if d.span(t.deepest).selfClosing {
			m.Tail = d.selfClosingTail(t.deepest)
		}
		out = d.insertChild(t.deepest, d.nestEmpty(t.path[t.depth:]))
	}
	nd, err := Parse(out)
	if err != nil {
		return nil, Made{}, fmt.Errorf("internal error: the edited file would not parse (%v); nothing was written", err)
	}
	if nt, err := nd.target(Collection{Path: rel}, location); err != nil || nt.collection() == nil {
		return nil, Made{}, fmt.Errorf("internal error: the new <%s> is not where IIS would read it (%v); nothing was written", rel[len(rel)-1], err)
	}
	return out, m, nil
}

// nestEmpty renders elems (bare names, or a rendered start tag first) as
// nested lines, the innermost as an empty `<x />`.
func (d *Doc) nestEmpty(elems []string) []string {
	last := len(elems) - 1
	var lines []string
	for i, e := range elems[:last] {
		if !strings.HasPrefix(e, "<") {
			e = "<" + e + ">"
		}
		lines = append(lines, strings.Repeat(d.unit(), i)+e)
	}
	lines = append(lines, strings.Repeat(d.unit(), last)+renderEmpty(elems[last], nil))
	for i := last - 1; i >= 0; i-- {
		name := strings.TrimPrefix(elems[i], "<")
		name, _, _ = strings.Cut(strings.TrimSuffix(name, ">"), " ")
		lines = append(lines, strings.Repeat(d.unit(), i)+"</"+name+">")
	}
	return lines
}

// appendChild adds line as the last child of the (existing) element at rel
// in a scope.
func (d *Doc) appendChild(location string, rel []string, line string) ([]byte, Made, error) {
	t, err := d.target(Collection{Path: rel}, location)
	if err != nil {
		return nil, Made{}, err
	}
	el := t.collection()
	if el == nil {
		return nil, Made{}, fmt.Errorf("internal error: <%s> is missing in %s", rel[len(rel)-1], describeScope(location))
	}
	m := Made{Location: location, Path: t.path, From: len(t.path)}
	if d.span(el).selfClosing {
		m.Tail = d.selfClosingTail(el)
	}
	return d.insertChild(el, []string{line}), m, nil
}

// unmake undoes ensure or appendChild as m records it, once the elements it
// made hold nothing else: created elements go (whole lines), and a parent
// that was opened up is closed again with its original tail. done is false
// when something else now lives in them, and they stay.
func (d *Doc) unmake(m Made) (out []byte, done bool, err error) {
	if !m.changed() {
		return d.src, true, nil
	}
	if m.NewLocation {
		for _, l := range d.scopeRoots(m.Location) {
			if onlyChain(l, m.Path) {
				out := d.removeElement(l)
				if m.Tail == "" {
					return out, true, nil
				}
				nd, err := reparse(out, "removing the <location>")
				if err != nil {
					return nil, false, err
				}
				if isEmpty(nd.Root()) {
					out = nd.collapseWith(nd.Root(), m.Tail)
				}
				return out, true, nil
			}
		}
		return d.src, len(d.scopeRoots(m.Location)) == 0, nil
	}
	for _, r := range d.scopeRoots(m.Location) {
		parent, n, err := d.chain(r, m.Path[:m.From])
		if err != nil {
			return nil, false, err
		}
		if n != m.From {
			continue
		}
		cur := d
		if m.From < len(m.Path) {
			var kid *etree.Element
			for _, k := range parent.SelectElements(m.Path[m.From]) {
				if onlyChain(k, m.Path[m.From+1:]) {
					kid = k
					break
				}
			}
			if kid == nil {
				if len(parent.SelectElements(m.Path[m.From])) > 0 {
					return d.src, false, nil // in use
				}
			} else {
				start := d.span(parent).start
				if cur, err = Parse(d.removeElement(kid)); err != nil {
					return nil, false, fmt.Errorf("internal error: removing <%s> broke the file (%v); nothing was written", m.Path[m.From], err)
				}
				parent = cur.elementAt(start)
			}
		}
		if m.Tail != "" && parent != nil && len(parent.ChildElements()) == 0 && isEmpty(parent) {
			return cur.collapseWith(parent, m.Tail), true, nil
		}
		return cur.src, true, nil
	}
	return d.src, true, nil // the scope is gone: nothing is left to take away
}

// onlyChain reports whether e holds nothing but the empty chain of rest:
// no attributes of its own (a <location> may have its path), and at the
// end an element with no attributes and no content.
func onlyChain(e *etree.Element, rest []string) bool {
	if hasOwnAttrs(e) {
		return false
	}
	if len(rest) == 0 {
		return isEmpty(e)
	}
	kids := e.ChildElements()
	if len(kids) != 1 || kids[0].Tag != rest[0] || !onlyChild(e, kids[0]) {
		return false
	}
	return onlyChain(kids[0], rest[1:])
}

// Ref names a sibling element of a collection entry: its tag and key.
type Ref struct {
	Tag string `json:"tag"`
	Key string `json:"key,omitempty"`
}

// Cut records an entry taken out of a collection, so that the same bytes
// go back to the same place. The place is found again from the neighbours
// and the exact bytes between them and the entry, not from a byte offset:
// other edits (another resource's, an admin's) move offsets.
type Cut struct {
	Location string `json:"location"`
	// EmptyLocation: the entry was in a <location path=""> block (the
	// server scope), not at the top level.
	EmptyLocation bool   `json:"empty_location,omitempty"`
	Element       string `json:"element"` // the element's own bytes, to write it anew when its place is gone
	Text          string `json:"text"`    // the bytes removed: the element's whole lines when it stood alone
	Prev          *Ref   `json:"prev,omitempty"`
	Next          *Ref   `json:"next,omitempty"`
	Before        string `json:"before"` // between Prev's end (or the parent's start tag) and Text
	After         string `json:"after"`  // between Text and Next (or the parent's end tag)
}

func refOf(e *etree.Element, c Collection) *Ref {
	if e == nil {
		return nil
	}
	return &Ref{Tag: e.Tag, Key: e.SelectAttrValue(c.Key, "")}
}

func (r Ref) matches(e *etree.Element, c Collection) bool {
	return e.Tag == r.Tag && e.SelectAttrValue(c.Key, "") == r.Key
}

// cut removes el, an entry of collection c in a scope, and records it.
func (d *Doc) cut(c Collection, location string, el *etree.Element, emptyLocation bool) ([]byte, Cut) {
	parent := el.Parent()
	ps := d.span(parent)
	var prev, next *etree.Element
	kids := parent.ChildElements()
	for i, k := range kids {
		if k == el {
			if i > 0 {
				prev = kids[i-1]
			}
			if i+1 < len(kids) {
				next = kids[i+1]
			}
		}
	}
	anchor, nextStart := ps.startTagEnd, ps.endTagStart
	if prev != nil {
		anchor = d.span(prev).end
	}
	if next != nil {
		nextStart = d.span(next).start
	}
	from, to := d.removalSpan(el)
	sp := d.span(el)
	cut := Cut{
		Location: location, EmptyLocation: emptyLocation,
		Element: string(d.src[sp.start:sp.end]), Text: string(d.src[from:to]),
		Prev: refOf(prev, c), Next: refOf(next, c),
		Before: string(d.src[anchor:from]), After: string(d.src[to:nextStart]),
	}
	return d.splice(from, to, ""), cut
}

// cutRoots are the elements a Cut's collection may be under.
func (d *Doc) cutRoots(k Cut) []*etree.Element {
	if k.Location != "" {
		return d.scopeRoots(k.Location)
	}
	if !k.EmptyLocation {
		return []*etree.Element{d.Root()}
	}
	var out []*etree.Element
	for _, l := range d.Root().SelectElements("location") {
		if strings.Trim(l.SelectAttrValue("path", ""), "/") == "" {
			out = append(out, l)
		}
	}
	return out
}

// uncut puts a cut entry back: at its old place when the neighbours and
// the bytes around it are still there, else as the collection's last entry
// (creating the collection if it is gone). check tells whether the result
// is right; a placement that fails it is not used.
func (d *Doc) uncut(c Collection, k Cut, check func(*Doc) bool) ([]byte, error) {
	path := fullPath(c.Path)
	var colls []*etree.Element
	for _, r := range d.cutRoots(k) {
		if coll, n, err := d.chain(r, path); err != nil {
			return nil, err
		} else if n == len(path) {
			colls = append(colls, coll)
		}
	}
	try := func(out []byte) bool {
		nd, err := Parse(out)
		return err == nil && check(nd)
	}
	for _, coll := range colls {
		for _, pos := range d.cutPositions(c, coll, k) {
			if out := d.splice(pos, pos, k.Text); try(out) {
				return out, nil
			}
		}
	}
	if len(colls) > 0 {
		if out := d.insertChild(colls[0], []string{k.Element}); try(out) {
			return out, nil
		}
		return nil, fmt.Errorf("internal error: could not put %s back into %s; nothing was written", k.Element, c.Name())
	}
	out, _, err := d.ensure(k.Location, c.Path)
	if err != nil {
		return nil, err
	}
	nd, err := Parse(out)
	if err != nil {
		return nil, err
	}
	out, _, err = nd.appendChild(k.Location, c.Path, k.Element)
	if err != nil {
		return nil, err
	}
	if !try(out) {
		return nil, fmt.Errorf("internal error: could not put %s back into %s; nothing was written", k.Element, c.Name())
	}
	return out, nil
}

// cutPositions returns where a cut entry may go back in coll, best first: a
// place both neighbours agree on, then one after the previous neighbour,
// then one before the next. When entries were cut next to each other and
// come back in another order, the neighbours may disagree; the order of
// entries in between is then a guess (IIS does not care about it).
func (d *Doc) cutPositions(c Collection, coll *etree.Element, k Cut) []int {
	sp := d.span(coll)
	if sp.selfClosing {
		return nil
	}
	var after, before []int
	if k.Prev == nil {
		if bytes.HasPrefix(d.src[sp.startTagEnd:sp.endTagStart], []byte(k.Before)) {
			after = append(after, sp.startTagEnd+len(k.Before))
		}
	}
	if k.Next == nil {
		if bytes.HasSuffix(d.src[sp.startTagEnd:sp.endTagStart], []byte(k.After)) {
			before = append(before, sp.endTagStart-len(k.After))
		}
	}
	for _, kid := range coll.ChildElements() {
		ks := d.span(kid)
		if k.Prev != nil && k.Prev.matches(kid, c) && bytes.HasPrefix(d.src[ks.end:sp.endTagStart], []byte(k.Before)) {
			after = append(after, ks.end+len(k.Before))
		}
		if k.Next != nil && k.Next.matches(kid, c) && bytes.HasSuffix(d.src[sp.startTagEnd:ks.start], []byte(k.After)) {
			before = append(before, ks.start-len(k.After))
		}
	}
	var out []int
	for _, a := range after {
		for _, b := range before {
			if a == b {
				out = append(out, a)
			}
		}
	}
	return append(append(out, after...), before...)
}

// emptyTree reports whether e configures nothing: no attributes of its own
// (a <location> may have its path), no text or comments, and only child
// elements that are empty trees themselves.
func emptyTree(e *etree.Element) bool {
	if hasOwnAttrs(e) {
		return false
	}
	for _, tok := range e.Child {
		switch v := tok.(type) {
		case *etree.CharData:
			if !v.IsWhitespace() {
				return false
			}
		case *etree.Element:
			if !emptyTree(v) {
				return false
			}
		default: // a comment or processing instruction is someone's content
			return false
		}
	}
	return true
}

// tidy removes what undoing edits in a location scope can leave behind when
// several resources shared elements there: resource A creates
// <location>...<requestFiltering/>, B adds <hiddenSegments> inside it, A is
// destroyed first (its elements are still in use, so they stay) and B's
// record does not know they were A's. The highest element from the
// <location> down along rel that configures nothing goes. The server scope
// is never tidied: its elements belong to the IIS install.
func (d *Doc) tidy(location string, rel []string) []byte {
	if location == "" {
		return d.src
	}
	for _, l := range d.scopeRoots(location) {
		if emptyTree(l) {
			return d.removeElement(l)
		}
		e := l
		for _, name := range fullPath(rel) {
			kids := e.SelectElements(name)
			if len(kids) != 1 {
				break
			}
			if emptyTree(kids[0]) {
				return d.removeElement(kids[0])
			}
			e = kids[0]
		}
	}
	return d.src
}
