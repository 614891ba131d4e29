package apphost

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Attr is an attribute to write, in order.
type Attr struct{ Name, Value string }

// Entry is an <add> element of a collection as it stands in the file.
type Entry struct {
	Key   string // the key as written in the file (its case may differ from the query)
	attrs map[string]string
	doc   *Doc
	el    *etree.Element
}

// Line is the entry's line in the file, for messages. It is found only
// when asked: a lookup for a refresh needs no positions.
func (e Entry) Line() int { return e.doc.Line(e.el) }

// Attr returns an attribute of the entry and whether it is present.
func (e Entry) Attr(name string) (string, bool) {
	v, ok := e.attrs[name]
	return v, ok
}

// Lookup returns the <add> for key in a scope (compared case-insensitively, as
// IIS does), or found == false. Two <add> for one key is an error.
func (d *Doc) Lookup(c Collection, location, key string) (Entry, bool, error) {
	el, err := d.lookupElement(c, location, key)
	if err != nil || el == nil {
		return Entry{}, false, err
	}
	en := Entry{Key: el.SelectAttrValue(c.Key, ""), attrs: map[string]string{}, doc: d, el: el}
	for _, a := range el.Attr {
		en.attrs[a.FullKey()] = a.Value
	}
	return en, true, nil
}

func (d *Doc) lookupElement(c Collection, location, key string) (*etree.Element, error) {
	t, err := d.target(c, location)
	if err != nil {
		return nil, err
	}
	coll := t.collection()
	if coll == nil {
		return nil, nil
	}
	return d.findAdd(coll, c, key, location)
}

// Inherited reports whether a location scope inherits an <add> for key from
// the scopes above it, so that a new <add> there needs a <remove> first.
func (d *Doc) Inherited(c Collection, location, key string) (bool, error) {
	return d.inherited(c, location, key)
}

// Add appends `<add key="..." attrs... />` to a scope's collection, preceded
// by `<remove key="..." />` when withRemove, and creates whatever part of
// <location>/<system.webServer>/.../<collection> is missing. New entries go
// last, after any <remove> or <clear/> already there, which keeps those in
// force for the entries before them.
func (d *Doc) Add(c Collection, location, key string, attrs []Attr, withRemove bool) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	if el, err := d.lookupElement(c, location, key); err != nil {
		return nil, err
	} else if el != nil {
		return nil, &ScopeError{Line: d.Line(el), Msg: fmt.Sprintf("%s of %s already has <add %s=%q>", c.Name(), describeScope(location), c.Key, key)}
	}
	t, err := d.target(c, location)
	if err != nil {
		return nil, err
	}
	var items []string
	if withRemove {
		items = append(items, renderEmpty("remove", []Attr{{c.Key, key}}))
	}
	items = append(items, renderEmpty("add", append([]Attr{{c.Key, key}}, attrs...)))

	var out []byte
	if t.missing {
		open := renderOpen("location", []Attr{{"path", location}})
		out = d.insertChild(d.Root(), d.nest(append([]string{open}, t.path...), items))
	} else {
		out = d.insertChild(t.deepest, d.nest(t.path[t.depth:], items))
	}
	return out, checkAdded(out, c, location, key)
}

// nest renders the opening lines of elems (each either a bare name or an
// already rendered start tag), the items inside, and the closing lines.
func (d *Doc) nest(elems []string, items []string) []string {
	var lines []string
	for i, e := range elems {
		if !strings.HasPrefix(e, "<") {
			e = "<" + e + ">"
		}
		lines = append(lines, strings.Repeat(d.unit(), i)+e)
	}
	for _, it := range items {
		lines = append(lines, strings.Repeat(d.unit(), len(elems))+it)
	}
	for i := len(elems) - 1; i >= 0; i-- {
		name := strings.TrimPrefix(elems[i], "<")
		name, _, _ = strings.Cut(strings.TrimSuffix(name, ">"), " ")
		lines = append(lines, strings.Repeat(d.unit(), i)+"</"+name+">")
	}
	return lines
}

func renderOpen(name string, attrs []Attr) string {
	var b strings.Builder
	b.WriteString("<" + name)
	for _, a := range attrs {
		fmt.Fprintf(&b, ` %s="%s"`, a.Name, escapeAttr(a.Value, '"'))
	}
	b.WriteString(">")
	return b.String()
}

// renderEmpty writes IIS's style: a space before "/>".
func renderEmpty(name string, attrs []Attr) string {
	return strings.TrimSuffix(renderOpen(name, attrs), ">") + " />"
}

func checkAdded(out []byte, c Collection, location, key string) error {
	nd, err := Parse(out)
	if err != nil {
		return fmt.Errorf("internal error: the edited file would not parse (%v); nothing was written", err)
	}
	if _, ok, err := nd.Lookup(c, location, key); err != nil || !ok {
		return fmt.Errorf("internal error: the new <add %s=%q> is not where IIS would read it (%v); nothing was written", c.Key, key, err)
	}
	return nil
}

// SetEntryAttr sets an attribute of the <add> for key, or removes it when
// value is nil. Only the bytes of that attribute change.
func (d *Doc) SetEntryAttr(c Collection, location, key, attr string, value *string) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	el, err := d.lookupElement(c, location, key)
	if err != nil {
		return nil, err
	}
	if el == nil {
		return nil, &ScopeError{Msg: fmt.Sprintf("%s of %s has no <add %s=%q>", c.Name(), describeScope(location), c.Key, key)}
	}
	var out []byte
	if value == nil {
		out = d.removeAttr(el, attr)
	} else {
		out = d.setAttr(el, attr, *value)
	}
	nd, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("internal error: the edited file would not parse (%v); nothing was written", err)
	}
	got, ok, err := nd.Lookup(c, location, key)
	if err != nil || !ok {
		return nil, fmt.Errorf("internal error: the entry was lost by the edit; nothing was written")
	}
	if v, present := got.Attr(attr); present != (value != nil) || (value != nil && v != *value) {
		return nil, fmt.Errorf("internal error: %s=%q did not take; nothing was written", attr, v)
	}
	return out, nil
}

// Remove deletes the <add> for key from a scope, and the `<remove>` for the
// same key right before it when withRemove (the pair Add writes). Elements
// left holding nothing are taken away again, and a collection element left
// empty goes back to its self-closing form, so that Add followed by Remove
// restores the original bytes. Removing an absent entry changes nothing.
func (d *Doc) Remove(c Collection, location, key string, withRemove bool) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	el, err := d.lookupElement(c, location, key)
	if err != nil {
		return nil, err
	}
	if el == nil {
		return d.src, nil
	}
	collStart := d.span(el.Parent()).start
	prevRemove := -1
	if withRemove {
		if p := el.PrevSibling(); p != nil && p.Tag == "remove" && strings.EqualFold(p.SelectAttrValue(c.Key, ""), key) {
			prevRemove = d.span(p).start
		}
	}
	cur, err := Parse(d.removeElement(el))
	if err != nil {
		return nil, fmt.Errorf("internal error: removing the entry broke the file (%v); nothing was written", err)
	}
	// Elements before the removed one keep their offsets.
	if prevRemove >= 0 {
		if cur, err = Parse(cur.removeElement(cur.elementAt(prevRemove))); err != nil {
			return nil, fmt.Errorf("internal error: removing the <remove> broke the file (%v); nothing was written", err)
		}
	}
	out, err := cur.prune(cur.elementAt(collStart))
	if err != nil {
		return nil, err
	}
	nd, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("internal error: the edited file would not parse (%v); nothing was written", err)
	}
	if _, ok, _ := nd.Lookup(c, location, key); ok {
		return nil, fmt.Errorf("internal error: the entry is still there after removal; nothing was written")
	}
	return out, nil
}

// prune removes the highest ancestor of coll that holds nothing but the
// empty chain down to coll, stopping at an element with attributes (a
// <location> counts only attributes besides path) or at <configuration>; an
// attributed element left empty is collapsed to `<x ... />`.
func (d *Doc) prune(coll *etree.Element) ([]byte, error) {
	if coll == nil || !isEmpty(coll) {
		return d.src, nil
	}
	var victim *etree.Element
	e := coll
	for e != d.Root() && onlyChild(e, victim) && !hasOwnAttrs(e) {
		victim = e
		e = e.Parent()
	}
	if victim == nil { // coll itself has attributes: keep it, closed up
		return d.collapse(coll), nil
	}
	stopStart := d.span(e).start
	out := d.removeElement(victim)
	if e == d.Root() {
		return out, nil
	}
	nd, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("internal error: pruning broke the file (%v); nothing was written", err)
	}
	if stop := nd.elementAt(stopStart); stop != nil && isEmpty(stop) {
		return nd.collapse(stop), nil
	}
	return out, nil
}

// onlyChild reports whether e's content is whitespace plus, at most, child.
func onlyChild(e, child *etree.Element) bool {
	for _, t := range e.Child {
		switch v := t.(type) {
		case *etree.CharData:
			if v.IsWhitespace() {
				continue
			}
		case *etree.Element:
			if v == child {
				continue
			}
		}
		return false
	}
	return true
}

func hasOwnAttrs(e *etree.Element) bool {
	for _, a := range e.Attr {
		if e.Tag == "location" && a.Key == "path" {
			continue
		}
		return true
	}
	return false
}

// elementAt returns the element whose start tag begins at off.
func (d *Doc) elementAt(off int) *etree.Element {
	if d.positions() != nil {
		return nil
	}
	for e, sp := range d.spansMap {
		if sp.start == off {
			return e
		}
	}
	return nil
}
