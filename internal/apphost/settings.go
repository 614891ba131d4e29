package apphost

import (
	"fmt"
	"maps"
	"strings"
)

// SettingsOwnership records what managing request filtering settings in a
// scope changed, so that letting go of a setting (or deleting the resource)
// undoes exactly that.
type SettingsOwnership struct {
	// Previous holds each managed setting's raw value in the scope before
	// it was first written; nil when the attribute was absent. A setting
	// without a record (an imported resource) counts as absent before.
	Previous map[Setting]*string `json:"previous,omitempty"`
	// Made are the elements created to hold the values, in order.
	Made []Made `json:"made,omitempty"`
}

func (o SettingsOwnership) clone() SettingsOwnership {
	return SettingsOwnership{Previous: maps.Clone(o.Previous), Made: append([]Made(nil), o.Made...)}
}

// ScopeSettings returns the settings a scope writes itself, raw, keyed by
// setting: what an import manages.
func (d *Doc) ScopeSettings(location string) (map[Setting]string, error) {
	out := map[Setting]string{}
	for _, s := range Settings() {
		raw, ok, _, err := d.scopeSetting(location, s)
		if err != nil {
			return nil, err
		}
		if ok {
			if _, err := s.parse(raw); err != nil {
				t, _ := d.target(s.element(), location)
				return nil, &ScopeError{Line: d.Line(t.collection()), Msg: fmt.Sprintf("<%s %s=%q> in %s: %v; fix the value by hand", s.Element(), s.Attr(), raw, describeScope(location), err)}
			}
			out[s] = raw
		}
	}
	return out, nil
}

// scopeSetting returns a setting's raw value in the scope's own element.
func (d *Doc) scopeSetting(location string, s Setting) (raw string, present bool, t scopeTarget, err error) {
	t, err = d.target(s.element(), location)
	if err != nil {
		return "", false, t, err
	}
	el := t.collection()
	if el == nil {
		return "", false, t, nil
	}
	raw, present = d.attrValue(el, s.Attr())
	return raw, present, t, nil
}

// ManageSettings brings a scope's request filtering settings to want: a
// setting mapped to a value is written (its earlier raw value recorded the
// first time), a setting mapped to nil gets its recorded earlier value back
// (or loses the attribute when there is no record); settings not in want
// are not touched. Elements made to hold values are removed again once
// nothing is left in them, so that writing and then releasing every
// setting gives back the original bytes. Only attribute bytes change in
// elements that existed.
func (d *Doc) ManageSettings(location string, want map[Setting]*string, own SettingsOwnership) ([]byte, SettingsOwnership, error) {
	if err := d.positions(); err != nil {
		return nil, SettingsOwnership{}, err
	}
	own = own.clone()
	if own.Previous == nil {
		own.Previous = map[Setting]*string{}
	}
	for s := range want {
		if !s.Valid() {
			return nil, SettingsOwnership{}, fmt.Errorf("internal error: unknown setting %q", s)
		}
	}
	cur := d
	// Release first, backwards, so that elements emptied by a release can
	// be reused by a write in the same edit.
	order := append(Settings(), WebDAVSettings()...)
	for i := len(order) - 1; i >= 0; i-- {
		s := order[i]
		if v, ok := want[s]; !ok || v != nil {
			continue
		}
		out, err := cur.restoreSetting(location, s, own.Previous[s])
		if err != nil {
			return nil, SettingsOwnership{}, err
		}
		delete(own.Previous, s)
		if cur, err = reparse(out, "restoring "+s.Attr()); err != nil {
			return nil, SettingsOwnership{}, err
		}
	}
	var kept []Made
	for i := len(own.Made) - 1; i >= 0; i-- {
		out, done, err := cur.unmake(own.Made[i])
		if err != nil {
			return nil, SettingsOwnership{}, err
		}
		if !done {
			kept = append([]Made{own.Made[i]}, kept...)
		}
		if cur, err = reparse(out, "removing elements made for the settings"); err != nil {
			return nil, SettingsOwnership{}, err
		}
	}
	own.Made = kept
	for i := len(order) - 1; i >= 0; i-- {
		if v, ok := want[order[i]]; !ok || v != nil {
			continue
		}
		var err error
		if cur, err = reparse(cur.tidy(location, order[i].rel()), "removing empty elements"); err != nil {
			return nil, SettingsOwnership{}, err
		}
	}
	for _, s := range order {
		v, ok := want[s]
		if !ok || v == nil {
			continue
		}
		if _, err := s.parse(*v); err != nil {
			return nil, SettingsOwnership{}, fmt.Errorf("%s = %q: %v", s.Attr(), *v, err)
		}
		raw, present, t, err := cur.scopeSetting(location, s)
		if err != nil {
			return nil, SettingsOwnership{}, err
		}
		if _, known := own.Previous[s]; !known {
			own.Previous[s] = nil
			if present {
				// The text between the quotes, entities and all, so that
				// it goes back byte for byte.
				a, _ := cur.findAttr(t.collection(), s.Attr())
				text := string(cur.src[a.valueStart:a.valueEnd])
				own.Previous[s] = &text
			}
		}
		if present && s.sameValue(raw, *v) {
			continue
		}
		out, m, err := cur.ensure(location, s.rel())
		if err != nil {
			return nil, SettingsOwnership{}, err
		}
		if m.changed() {
			own.Made = append(own.Made, m)
		}
		if cur, err = reparse(out, "creating <"+s.Element()+">"); err != nil {
			return nil, SettingsOwnership{}, err
		}
		if out, err = cur.setSetting(location, s, v); err != nil {
			return nil, SettingsOwnership{}, err
		}
		if cur, err = reparse(out, "writing "+s.Attr()); err != nil {
			return nil, SettingsOwnership{}, err
		}
	}
	return cur.src, own, nil
}

// restoreSetting puts a setting's earlier attribute text back (nil:
// removes the attribute), leaving bytes alone when they already say that.
func (d *Doc) restoreSetting(location string, s Setting, prev *string) ([]byte, error) {
	t, err := d.target(s.element(), location)
	if err != nil || t.collection() == nil {
		return d.src, err
	}
	el := t.collection()
	a, present := d.findAttr(el, s.Attr())
	switch {
	case prev == nil && !present:
		return d.src, nil
	case prev == nil:
		return d.setSetting(location, s, nil)
	case present && string(d.src[a.valueStart:a.valueEnd]) == *prev:
		return d.src, nil
	case present:
		return d.splice(a.valueStart, a.valueEnd, *prev), nil
	}
	// Absent now (removed by hand): written anew, in IIS's quotes.
	at := d.span(el).start + 1 + len(el.FullTag())
	if attrs := d.scanAttrs(el); len(attrs) > 0 {
		at = attrs[len(attrs)-1].valueEnd + 1
	}
	q := `"`
	if strings.Contains(*prev, `"`) {
		q = `'`
	}
	return d.splice(at, at, " "+s.Attr()+"="+q+*prev+q), nil
}

// setSetting sets (or, with nil, removes) one attribute of the scope's
// existing element and checks that it took.
func (d *Doc) setSetting(location string, s Setting, v *string) ([]byte, error) {
	t, err := d.target(s.element(), location)
	if err != nil {
		return nil, err
	}
	el := t.collection()
	if el == nil {
		return nil, fmt.Errorf("internal error: <%s> is missing in %s", s.Element(), describeScope(location))
	}
	var out []byte
	if v == nil {
		out = d.removeAttr(el, s.Attr())
	} else {
		out = d.setAttr(el, s.Attr(), *v)
	}
	nd, err := reparse(out, "writing "+s.Attr())
	if err != nil {
		return nil, err
	}
	got, present, _, err := nd.scopeSetting(location, s)
	if err != nil || present != (v != nil) || (v != nil && got != *v) {
		return nil, fmt.Errorf("internal error: %s did not take in %s (%v); nothing was written", s.Attr(), describeScope(location), err)
	}
	return out, nil
}
