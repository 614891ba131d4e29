package apphost

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// SegmentOwnership records what allowing a hidden segment changed, so that
// deleting the resource undoes exactly that. IIS's hiddenSegments entries
// have no "allowed" attribute: a segment is allowed in a scope when it is
// not in the scope's effective list, so allowing it means taking it out.
type SegmentOwnership struct {
	// Created is true for a record written by a create; an imported
	// resource has none, and its delete does less (see RestoreSegment).
	Created bool `json:"created"`
	// Cut is the scope's own <add segment> the create removed, to be put
	// back byte for byte.
	Cut *Cut `json:"cut,omitempty"`
	// WroteRemove: a <remove segment> was appended in a location scope to
	// stop the segment inherited from above; Made are the elements created
	// to hold it.
	WroteRemove bool   `json:"wrote_remove,omitempty"`
	Made        []Made `json:"made,omitempty"`
}

// HiddenSegment returns the entry that hides segment at location (compared
// case-insensitively, as IIS does, after merging every scope from the
// server down), or nil when the segment is not hidden there.
func (d *Doc) HiddenSegment(location, segment string) (*SegmentEntry, error) {
	p, err := d.Effective(location)
	if err != nil {
		return nil, err
	}
	return p.Segment(segment), nil
}

// ownScope reports whether an effective entry's scope is location itself.
func ownScope(scope, location string) bool {
	if location == "" {
		return scope == ""
	}
	return scope != "" && sameLocation(scope, location)
}

// AllowSegment takes segment out of the effective hidden segments of a
// scope:
//   - when the scope's own <add segment> hides it, that entry is removed
//     (and recorded, to go back byte for byte on delete);
//   - when it is still hidden because a location inherits it, a
//     `<remove segment="..." />` is appended to the location's collection,
//     creating whatever elements are missing;
//   - when it is not hidden there, nothing changes.
func (d *Doc) AllowSegment(location, segment string) ([]byte, SegmentOwnership, error) {
	if err := d.positions(); err != nil {
		return nil, SegmentOwnership{}, err
	}
	c := HiddenSegments()
	own := SegmentOwnership{Created: true}
	hit, err := d.HiddenSegment(location, segment)
	if err != nil || hit == nil {
		return d.src, own, err
	}
	cur := d
	if ownScope(hit.Scope, location) {
		out, k := cur.cut(c, location, hit.el, location == "" && isUnderEmptyLocation(hit.el))
		own.Cut = &k
		if cur, err = reparse(out, "removing the entry"); err != nil {
			return nil, SegmentOwnership{}, err
		}
		if hit, err = cur.HiddenSegment(location, segment); err != nil {
			return nil, SegmentOwnership{}, err
		}
	}
	if hit != nil {
		if location == "" {
			return nil, SegmentOwnership{}, &ScopeError{Line: hit.Line, Msg: fmt.Sprintf("segment %q is still hidden at the server scope after removing its entry (another <add segment=%q> is on line %d): fix the duplicates by hand", segment, hit.Segment, hit.Line)}
		}
		out, m1, err := cur.ensure(location, c.Path)
		if err != nil {
			return nil, SegmentOwnership{}, err
		}
		if cur, err = reparse(out, "creating the collection"); err != nil {
			return nil, SegmentOwnership{}, err
		}
		out, m2, err := cur.appendChild(location, c.Path, renderEmpty("remove", []Attr{{c.Key, segment}}))
		if err != nil {
			return nil, SegmentOwnership{}, err
		}
		if cur, err = reparse(out, "adding the <remove>"); err != nil {
			return nil, SegmentOwnership{}, err
		}
		own.WroteRemove = true
		for _, m := range []Made{m1, m2} {
			if m.changed() {
				own.Made = append(own.Made, m)
			}
		}
		if hit, err = cur.HiddenSegment(location, segment); err != nil || hit != nil {
			return nil, SegmentOwnership{}, fmt.Errorf("internal error: segment %q is still hidden in %s after the edit (%v); nothing was written", segment, describeScope(location), err)
		}
	}
	return cur.src, own, nil
}

func isUnderEmptyLocation(e *etree.Element) bool {
	for p := e.Parent(); p != nil; p = p.Parent() {
		if p.Tag == "location" {
			return true
		}
	}
	return false
}

func reparse(out []byte, what string) (*Doc, error) {
	nd, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("internal error: %s broke the file (%v); nothing was written", what, err)
	}
	return nd, nil
}

// lastRemove returns the last `<remove segment>` for segment in a scope's
// own collection, or nil.
func (d *Doc) lastRemove(c Collection, location, key string) (*etree.Element, error) {
	t, err := d.target(c, location)
	if err != nil || t.collection() == nil {
		return nil, err
	}
	var found *etree.Element
	for _, en := range entries(t.collection(), c) {
		if en.op == "remove" && strings.EqualFold(en.key, key) {
			found = en.el
		}
	}
	return found, nil
}

// RestoreSegment undoes AllowSegment as own records it: the <remove> it
// wrote goes, with the elements made for it, and a cut entry goes back to
// its place (unless the segment is hidden there again by then).
//
// A resource that was imported has no record (Created is false): in a
// location, the scope's own <remove segment> is deleted (the segment is
// hidden there again, as the extension resource deletes an imported
// entry); at the server scope nothing represents the allowance and the file
// is left as it is, since adding a hidden segment nobody had would be a new
// restriction, not an undo.
func (d *Doc) RestoreSegment(location, segment string, own SegmentOwnership) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	c := HiddenSegments()
	if !own.Created {
		if location == "" {
			return d.src, nil
		}
		el, err := d.lastRemove(c, location, segment)
		if err != nil || el == nil {
			return d.src, err
		}
		collStart := d.span(el.Parent()).start
		cur, err := reparse(d.removeElement(el), "removing the <remove>")
		if err != nil {
			return nil, err
		}
		return cur.prune(cur.elementAt(collStart))
	}
	cur := d
	if own.WroteRemove {
		el, err := cur.lastRemove(c, location, segment)
		if err != nil {
			return nil, err
		}
		if el != nil {
			if cur, err = reparse(cur.removeElement(el), "removing the <remove>"); err != nil {
				return nil, err
			}
		}
		for i := len(own.Made) - 1; i >= 0; i-- {
			out, _, err := cur.unmake(own.Made[i])
			if err != nil {
				return nil, err
			}
			if cur, err = reparse(out, "removing the elements made for the <remove>"); err != nil {
				return nil, err
			}
		}
		// Elements that now configure nothing may have been made by another
		// resource that is gone, or by an earlier incarnation of this one
		// whose <remove> was deleted by hand (drift, then re-create).
		if cur, err = reparse(cur.tidy(location, c.Path), "removing empty elements"); err != nil {
			return nil, err
		}
	}
	if own.Cut != nil {
		// Hidden again (by hand, or inherited from a scope above that has
		// gained the entry): there is nothing to give back, and a second
		// <add> could be a duplicate IIS rejects.
		if hit, err := cur.HiddenSegment(location, segment); err != nil || hit != nil {
			return cur.src, err
		}
		ok := func(nd *Doc) bool {
			h, err := nd.HiddenSegment(location, segment)
			return err == nil && h != nil && ownScope(h.Scope, location)
		}
		out, err := cur.uncut(c, *own.Cut, ok)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return cur.src, nil
}
