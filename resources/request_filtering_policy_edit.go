package resources

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// policyWanted is a policy's configuration as the editor needs it.
type policyWanted struct {
	location  string
	exts      map[string]bool
	segs      []string
	verbs     map[string]bool
	webdav    *bool
	exclusive bool
}

func policyWant(ctx context.Context, m policyModel, diags *diag.Diagnostics) (policyWanted, bool) {
	w := policyWanted{location: m.Location.ValueString(), exclusive: m.Exclusive.ValueBool()}
	var d diag.Diagnostics
	w.exts, d = boolMap(ctx, m.FileExtensions)
	diags.Append(d...)
	w.verbs, d = boolMap(ctx, m.Verbs)
	diags.Append(d...)
	w.segs, d = stringSet(ctx, m.AllowedHiddenSegments)
	diags.Append(d...)
	if !m.ApplyToWebDAV.IsNull() && !m.ApplyToWebDAV.IsUnknown() {
		v := m.ApplyToWebDAV.ValueBool()
		w.webdav = &v
	}
	return w, !diags.HasError()
}

func boolMap(ctx context.Context, m types.Map) (map[string]bool, diag.Diagnostics) {
	out := map[string]bool{}
	if m.IsNull() || m.IsUnknown() {
		return out, nil
	}
	d := m.ElementsAs(ctx, &out, false)
	return out, d
}

func stringSet(ctx context.Context, s types.Set) ([]string, diag.Diagnostics) {
	var out []string
	if s.IsNull() || s.IsUnknown() {
		return out, nil
	}
	d := s.ElementsAs(ctx, &out, false)
	slices.Sort(out)
	return out, d
}

// policyRecord is what a policy's edits did, for the edits that undo them:
// the ownership of each entry (as the single-entry resources record it), the
// applyToWebDAV values it replaced, and the entries an exclusive policy cut.
// It is the policy's undo in the DP's ownership record
// (request_filtering_policy_owner.go), cached in its private state.
type policyRecord struct {
	Extensions map[string]apphost.ExtensionOwnership `json:"extensions,omitempty"`
	Segments   map[string]apphost.SegmentOwnership   `json:"segments,omitempty"`
	Verbs      map[string]apphost.ExtensionOwnership `json:"verbs,omitempty"`
	WebDAV     *apphost.SettingsOwnership            `json:"webdav,omitempty"`
	Cuts       []policyCut                           `json:"cuts,omitempty"`
}

// policyCut is one entry an exclusive policy took out of the scope.
type policyCut struct {
	Collection string      `json:"collection"` // fileExtensions, verbs, hiddenSegments
	Op         string      `json:"op"`         // the entry's element: add, or remove for a segment's allowance
	Key        string      `json:"key"`
	Cut        apphost.Cut `json:"cut"`
}

func (r policyRecord) empty() bool {
	return len(r.Extensions) == 0 && len(r.Segments) == 0 && len(r.Verbs) == 0 && r.WebDAV == nil && len(r.Cuts) == 0
}

func (r policyRecord) clone() policyRecord {
	c := policyRecord{Extensions: maps.Clone(r.Extensions), Segments: maps.Clone(r.Segments), Verbs: maps.Clone(r.Verbs), Cuts: slices.Clone(r.Cuts)}
	if r.WebDAV != nil {
		w := *r.WebDAV
		c.WebDAV = &w
	}
	if c.Extensions == nil {
		c.Extensions = map[string]apphost.ExtensionOwnership{}
	}
	if c.Segments == nil {
		c.Segments = map[string]apphost.SegmentOwnership{}
	}
	if c.Verbs == nil {
		c.Verbs = map[string]apphost.ExtensionOwnership{}
	}
	return c
}

// importedRecord is the record of a policy that was imported: every entry
// it lists counts as added, so destroy removes it (as for an imported
// single-entry resource), and applyToWebDAV as absent before.
func importedRecord(w policyWanted) policyRecord {
	rec := policyRecord{}.clone()
	for k := range w.exts {
		rec.Extensions[k] = apphost.ExtensionOwnership{}
	}
	for k := range w.verbs {
		rec.Verbs[k] = apphost.ExtensionOwnership{}
	}
	for _, k := range w.segs {
		rec.Segments[k] = apphost.SegmentOwnership{}
	}
	if w.webdav != nil {
		rec.WebDAV = &apphost.SettingsOwnership{}
	}
	return rec
}

// policyCollection is a collection a policy manages and the element that
// is an entry of it for an exclusive policy.
type policyCollection struct {
	name string
	c    apphost.Collection
	op   string
}

func policyCollections() []policyCollection {
	return []policyCollection{
		{"fileExtensions", apphost.FileExtensions(), "add"},
		{"verbs", apphost.Verbs(), "add"},
		{"hiddenSegments", apphost.HiddenSegments(), "remove"},
	}
}

func collectionNamed(name string) (policyCollection, bool) {
	for _, pc := range policyCollections() {
		if pc.name == name {
			return pc, true
		}
	}
	return policyCollection{}, false
}

// listed is the policy's list for a collection.
func (w policyWanted) listed(name string) []string {
	switch name {
	case "fileExtensions":
		return sortedKeys(w.exts)
	case "verbs":
		return sortedKeys(w.verbs)
	}
	return w.segs
}

// editor applies a sequence of edits to one document, re-parsing after
// each: every step starts from a file that parses.
type editor struct{ cur *apphost.Doc }

func (e *editor) do(what string) func(out []byte, err error) error {
	return func(out []byte, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if bytes.Equal(out, e.cur.Bytes()) {
			return nil // nothing changed: no need to parse the same bytes again
		}
		d, err := apphost.Parse(out)
		if err != nil {
			return fmt.Errorf("internal error: %s broke the file (%v); nothing was written", what, err)
		}
		e.cur = d
		return nil
	}
}

// applyPolicy brings w's scope to w and returns the new record. The order
// is fixed so that a destroy (applyPolicy to nothing) undoes a create
// exactly, backwards: first what is let go (applyToWebDAV, then verbs,
// segments and extensions, each in reverse order, then the cut entries put
// back), then what is wanted (entries an exclusive policy does not list are
// cut, then extensions, segments and verbs in order, then applyToWebDAV).
func applyPolicy(d *apphost.Doc, w policyWanted, old policyRecord) ([]byte, policyRecord, error) {
	loc := w.location
	rec := old.clone()
	e := &editor{cur: d}
	webdav := func(v *bool) map[apphost.Setting]*string {
		m := map[apphost.Setting]*string{}
		for _, s := range apphost.WebDAVSettings() {
			if v == nil {
				m[s] = nil
			} else {
				t := fmt.Sprint(*v)
				m[s] = &t
			}
		}
		return m
	}
	// Let go.
	if w.webdav == nil && rec.WebDAV != nil {
		out, _, err := e.cur.ManageSettings(loc, webdav(nil), *rec.WebDAV)
		if err := e.do("restoring applyToWebDAV")(out, err); err != nil {
			return nil, old, err
		}
		rec.WebDAV = nil
	}
	for _, k := range slices.Backward(sortedKeys(rec.Verbs)) {
		if _, ok := w.verbs[k]; !ok {
			if err := e.do("restoring verb " + k)(e.cur.DeleteAllowed(apphost.Verbs(), loc, k, rec.Verbs[k])); err != nil {
				return nil, old, err
			}
			delete(rec.Verbs, k)
		}
	}
	for _, k := range slices.Backward(sortedKeys(rec.Segments)) {
		if !slices.Contains(w.segs, k) {
			if err := e.do("hiding segment " + k + " again")(e.cur.RestoreSegment(loc, k, rec.Segments[k])); err != nil {
				return nil, old, err
			}
			delete(rec.Segments, k)
		}
	}
	for _, k := range slices.Backward(sortedKeys(rec.Extensions)) {
		if _, ok := w.exts[k]; !ok {
			if err := e.do("restoring extension " + k)(e.cur.DeleteFileExtension(loc, k, rec.Extensions[k])); err != nil {
				return nil, old, err
			}
			delete(rec.Extensions, k)
		}
	}
	if !w.exclusive {
		for _, c := range slices.Backward(rec.Cuts) {
			pc, ok := collectionNamed(c.Collection)
			if !ok {
				return nil, old, fmt.Errorf("the ownership record names an unknown collection %q: remove the resource with terraform state rm and import it again", c.Collection)
			}
			if err := e.do("putting back " + c.Key)(e.cur.UncutEntry(pc.c, c.Cut, c.Op, c.Key)); err != nil {
				return nil, old, err
			}
		}
		rec.Cuts = nil
	}
	// Take what is wanted.
	if w.exclusive {
		for _, pc := range policyCollections() {
			keys, err := e.cur.ScopeEntries(pc.c, loc, pc.op)
			if err != nil {
				return nil, old, err
			}
			for _, k := range slices.Backward(keys) {
				if containsFold(w.listed(pc.name), k) {
					continue
				}
				out, cut, err := e.cur.CutEntry(pc.c, loc, pc.op, k)
				if err := e.do("removing unlisted "+k)(out, err); err != nil {
					return nil, old, err
				}
				if cut != nil {
					rec.Cuts = append(rec.Cuts, policyCut{Collection: pc.name, Op: pc.op, Key: k, Cut: *cut})
				}
			}
		}
	}
	allowed := func(c apphost.Collection, m map[string]bool, owns map[string]apphost.ExtensionOwnership) error {
		for _, k := range sortedKeys(m) {
			if _, had := owns[k]; had {
				if err := e.do("setting " + k)(e.cur.SetAllowed(c, loc, k, m[k])); err != nil {
					return err
				}
				continue
			}
			out, own, err := e.cur.CreateAllowed(c, loc, k, m[k])
			if err := e.do("setting "+k)(out, err); err != nil {
				return err
			}
			owns[k] = own
		}
		return nil
	}
	if err := allowed(apphost.FileExtensions(), w.exts, rec.Extensions); err != nil {
		return nil, old, err
	}
	for _, k := range w.segs {
		own, had := rec.Segments[k]
		if had {
			if hit, err := e.cur.HiddenSegment(loc, k); err != nil || hit == nil {
				if err != nil {
					return nil, old, err
				}
				continue
			}
		}
		// New, or hidden again since (drift): allow it; an earlier record's
		// cut entry is still what destroy must put back.
		out, next, err := e.cur.AllowSegment(loc, k)
		if err := e.do("allowing segment "+k)(out, err); err != nil {
			return nil, old, err
		}
		if had && next.Cut == nil {
			next.Cut = own.Cut
		}
		rec.Segments[k] = next
	}
	if err := allowed(apphost.Verbs(), w.verbs, rec.Verbs); err != nil {
		return nil, old, err
	}
	if w.webdav != nil {
		prev := apphost.SettingsOwnership{}
		if rec.WebDAV != nil {
			prev = *rec.WebDAV
		}
		out, own, err := e.cur.ManageSettings(loc, webdav(w.webdav), prev)
		if err := e.do("setting applyToWebDAV")(out, err); err != nil {
			return nil, old, err
		}
		rec.WebDAV = &own
	}
	return e.cur.Bytes(), rec, nil
}

// releasePolicy undoes everything rec records: a destroy.
func releasePolicy(d *apphost.Doc, loc string, rec policyRecord) ([]byte, policyRecord, error) {
	return applyPolicy(d, policyWanted{location: loc}, rec)
}

// readPolicy sets the state to what the scope has: for each listed entry
// its value, or nothing when it is gone (the plan puts it back); with
// exclusive (or on import), the scope's own entries the state does not list
// too, so that the plan removes them (or the import manages them).
func readPolicy(ctx context.Context, doc *apphost.Doc, m *policyModel, importing bool) error {
	loc := m.Location.ValueString()
	extra := importing || m.Exclusive.ValueBool()
	readAllowed := func(c apphost.Collection, v types.Map) (types.Map, error) {
		want, _ := boolMap(ctx, v)
		got := map[string]bool{}
		for k := range want {
			r, err := doc.AllowedRule(c, loc, k)
			if err != nil {
				return v, err
			}
			if r != nil {
				got[k] = r.Allowed
			}
		}
		if extra {
			keys, err := doc.ScopeEntries(c, loc, "add")
			if err != nil {
				return v, err
			}
			for _, k := range keys {
				if containsFold(sortedKeys(want), k) {
					continue
				}
				r, err := doc.AllowedRule(c, loc, k)
				if err != nil {
					return v, err
				}
				if r != nil {
					got[r.Extension] = r.Allowed
				}
			}
		}
		if v.IsNull() && len(got) == 0 {
			return v, nil
		}
		out, d := types.MapValueFrom(ctx, types.BoolType, got)
		if d.HasError() {
			return v, fmt.Errorf("internal error: %v", d)
		}
		return out, nil
	}
	var err error
	if m.FileExtensions, err = readAllowed(apphost.FileExtensions(), m.FileExtensions); err != nil {
		return err
	}
	if m.Verbs, err = readAllowed(apphost.Verbs(), m.Verbs); err != nil {
		return err
	}
	segs, _ := stringSet(ctx, m.AllowedHiddenSegments)
	var got []string
	for _, s := range segs {
		hit, err := doc.HiddenSegment(loc, s)
		if err != nil {
			return err
		}
		if hit == nil {
			got = append(got, s)
		}
	}
	if extra && loc != "" {
		keys, err := doc.ScopeEntries(apphost.HiddenSegments(), loc, "remove")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if containsFold(segs, k) || containsFold(got, k) {
				continue
			}
			if hit, err := doc.HiddenSegment(loc, k); err != nil {
				return err
			} else if hit == nil {
				got = append(got, k)
			}
		}
	}
	if !m.AllowedHiddenSegments.IsNull() || len(got) > 0 {
		v, d := types.SetValueFrom(ctx, types.StringType, got)
		if d.HasError() {
			return fmt.Errorf("internal error: %v", d)
		}
		m.AllowedHiddenSegments = v
	}
	if importing || !m.ApplyToWebDAV.IsNull() {
		m.ApplyToWebDAV, err = readWebDAV(doc, loc, m.ApplyToWebDAV, importing)
	}
	return err
}

// readWebDAV is apply_to_webdav as the scope writes it: the managed value
// while all three collections say it, the value that differs when one does
// not (drift), null when one leaves it out (inherited: the plan writes it).
// On import, the value all three write, or null (unmanaged).
func readWebDAV(doc *apphost.Doc, loc string, cur types.Bool, importing bool) (types.Bool, error) {
	var vals []bool
	for _, s := range apphost.WebDAVSettings() {
		raw, present, err := doc.ScopeSetting(loc, s)
		if err != nil {
			return cur, err
		}
		if !present {
			return types.BoolNull(), nil
		}
		v, err := apphost.ParseSetting(s, raw)
		if err != nil {
			return cur, fmt.Errorf("<%s %s=%q> in %s: %v; fix the value by hand", s.Element(), s.Attr(), raw, scope(loc), err)
		}
		vals = append(vals, v.Bool)
	}
	if importing {
		if slices.Contains(vals, !vals[0]) {
			return types.BoolNull(), nil
		}
		return types.BoolValue(vals[0]), nil
	}
	for _, v := range vals {
		if v != cur.ValueBool() {
			return types.BoolValue(v), nil
		}
	}
	return cur, nil
}
