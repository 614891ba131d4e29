package resources

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

// A policy is one entry of the DP's ownership record (internal/ownership):
// its kind and scope, with the empty key, since one policy manages a
// scope's request filtering as a whole. What it wants is its configuration
// as canonical JSON (policyText), and its undo is its policyRecord: what
// its edits replaced, entry by entry. So a renamed policy shares the scope
// with its predecessor (same value) or is refused naming it (another
// value), an import takes the record's undo over, and destroy gives back
// what was there before Terraform, as for the single-entry resources.

// policyText is a policy's value in the record: Want is what the policy
// configures, Current what the file has for the same keys. Its names are
// the resource's arguments, so that a message reads like configuration.
type policyText struct {
	FileExtensions        map[string]bool `json:"file_extensions,omitempty"`
	AllowedHiddenSegments []string        `json:"allowed_hidden_segments,omitempty"`
	Verbs                 map[string]bool `json:"verbs,omitempty"`
	ApplyToWebDAV         *bool           `json:"apply_to_webdav,omitempty"`
	Exclusive             bool            `json:"exclusive,omitempty"`
	// Unlisted is, in a Current only, the scope's own entries that an
	// exclusive policy does not list (and would remove).
	Unlisted []string `json:"unlisted,omitempty"`
}

func (t policyText) String() string {
	b, _ := json.Marshal(t) // maps of bools and slices of strings always marshal
	return string(b)
}

// wantText is w as the record stores it: extensions and segments in lower
// case, as IIS compares them, so that two spellings of one policy want the
// same.
func wantText(w policyWanted) policyText {
	t := policyText{Verbs: maps.Clone(w.verbs), ApplyToWebDAV: w.webdav, Exclusive: w.exclusive}
	if len(w.exts) > 0 {
		t.FileExtensions = map[string]bool{}
		for k, v := range w.exts {
			t.FileExtensions[strings.ToLower(k)] = v
		}
	}
	for _, s := range w.segs {
		t.AllowedHiddenSegments = append(t.AllowedHiddenSegments, strings.ToLower(s))
	}
	slices.Sort(t.AllowedHiddenSegments)
	t.AllowedHiddenSegments = slices.Compact(t.AllowedHiddenSegments)
	if len(t.Verbs) == 0 {
		t.Verbs = nil
	}
	return t
}

// parseWant reads a policy's Want from the record.
func parseWant(loc, want string) (policyWanted, error) {
	var t policyText
	if err := json.Unmarshal([]byte(want), &t); err != nil {
		return policyWanted{}, fmt.Errorf("a policy's value in the ownership record is damaged (%v)", err)
	}
	return policyWanted{location: loc, exts: t.FileExtensions, segs: t.AllowedHiddenSegments, verbs: t.Verbs, webdav: t.ApplyToWebDAV, exclusive: t.Exclusive}, nil
}

// observe is what the file gives the keys w lists, in w's spelling: the
// value in effect for each extension and verb (absent ones left out), the
// listed segments that are let through, applyToWebDAV when the scope
// writes it on all three collections alike, and, when w is exclusive, the
// scope's own entries w does not list. It reads the file as readPolicy
// does, so that a policy holds its value exactly when its plan is empty.
func observe(d *apphost.Doc, w policyWanted) (policyText, error) {
	var t policyText
	loc := w.location
	allowed := func(c apphost.Collection, keys map[string]bool) (map[string]bool, error) {
		var out map[string]bool
		for k := range keys {
			r, err := d.AllowedRule(c, loc, k)
			if err != nil {
				return nil, err
			}
			if r != nil {
				if out == nil {
					out = map[string]bool{}
				}
				out[k] = r.Allowed
			}
		}
		return out, nil
	}
	var err error
	ws := wantText(w)
	if t.FileExtensions, err = allowed(apphost.FileExtensions(), ws.FileExtensions); err != nil {
		return t, err
	}
	if t.Verbs, err = allowed(apphost.Verbs(), ws.Verbs); err != nil {
		return t, err
	}
	for _, s := range ws.AllowedHiddenSegments {
		hit, err := d.HiddenSegment(loc, s)
		if err != nil {
			return t, err
		}
		if hit == nil {
			t.AllowedHiddenSegments = append(t.AllowedHiddenSegments, s)
		}
	}
	if w.webdav != nil {
		v, err := readWebDAV(d, loc, types.BoolValue(*w.webdav), false)
		if err != nil {
			return t, err
		}
		if !v.IsNull() {
			b := v.ValueBool()
			t.ApplyToWebDAV = &b
		}
	}
	if w.exclusive {
		for _, pc := range policyCollections() {
			keys, err := d.ScopeEntries(pc.c, loc, pc.op)
			if err != nil {
				return t, err
			}
			for _, k := range keys {
				if !containsFold(w.listed(pc.name), k) {
					t.Unlisted = append(t.Unlisted, pc.name+" "+k)
				}
			}
		}
		t.Exclusive = len(t.Unlisted) == 0
	}
	return t, nil
}

// policyEntry is what a policy manages, for the record.
func policyEntry(host types.String, w policyWanted) managed {
	loc := w.location
	return managed{
		kind: policyTypeName, host: host.ValueString(), location: loc, key: "", want: wantText(w).String(),
		id: settingsID(host.ValueString(), loc),
		holds: func(d *apphost.Doc, want string) bool {
			other, err := parseWant(loc, want)
			if err != nil {
				return false
			}
			t, err := observe(d, other)
			t.Unlisted = nil
			return err == nil && t.String() == want
		},
		current: func(d *apphost.Doc) string {
			t, err := observe(d, w)
			if err != nil {
				return "unreadable"
			}
			t.Exclusive = false // said by Unlisted
			return t.String()
		},
		exists: func(d *apphost.Doc) bool {
			t, err := observe(d, w)
			return err == nil && (len(t.FileExtensions) > 0 || len(t.Verbs) > 0 || len(t.AllowedHiddenSegments) < len(wantText(w).AllowedHiddenSegments) ||
				t.ApplyToWebDAV != nil || len(t.Unlisted) > 0)
		},
		overlaps: func(d *apphost.Doc, rec *ownership.Record) []ownership.Owner {
			var out []ownership.Owner
			for _, e := range rec.Entries {
				if e.Location != ownership.Canonical(loc) || !w.covers(e.Kind, e.Key) {
					continue
				}
				out = append(out, liveOwners(d, e)...)
			}
			return out
		},
	}
}

// covers reports whether the policy manages the entry a single-entry
// resource of kind manages under key: one it lists, or, when exclusive,
// any of the collection.
func (w policyWanted) covers(kind, key string) bool {
	switch kind {
	case extensionTypeName:
		return w.exclusive || containsFold(sortedKeys(w.exts), key)
	case segmentTypeName:
		return w.exclusive || containsFold(w.segs, key)
	}
	return false
}

// liveOwners are e's owners whose value the file holds: the managers that
// still count.
func liveOwners(d *apphost.Doc, e ownership.Entry) []ownership.Owner {
	var m managed
	switch e.Kind {
	case extensionTypeName:
		m = extensionEntry(types.StringNull(), e.Location, e.Key, false)
	case segmentTypeName:
		m = segmentEntry(types.StringNull(), e.Location, e.Key)
	case policyTypeName:
		m = policyEntry(types.StringNull(), policyWanted{location: e.Location})
	default:
		return nil
	}
	holds := m.holdsIn(d)
	var out []ownership.Owner
	for _, o := range e.Owners {
		if holds(o.Want) {
			out = append(out, o)
		}
	}
	return out
}

// policiesOver is the overlap check of a single-entry resource (kind, at
// loc, key): the live owners of policies in its scope that cover it.
func policiesOver(kind, loc, key string) func(d *apphost.Doc, rec *ownership.Record) []ownership.Owner {
	return func(d *apphost.Doc, rec *ownership.Record) []ownership.Owner {
		e := rec.Find(policyTypeName, loc, "")
		if e == nil {
			return nil
		}
		var out []ownership.Owner
		for _, o := range liveOwners(d, *e) {
			if w, err := parseWant(loc, o.Want); err == nil && w.covers(kind, key) {
				out = append(out, o)
			}
		}
		return out
	}
}

// policyOp writes the policy's value given its undo so far in the record.
func policyOp(w policyWanted) claimOp {
	return func(d *apphost.Doc, undo json.RawMessage) ([]byte, json.RawMessage, error) {
		rec, err := decodePolicyRecord(undo)
		if err != nil {
			return nil, nil, err
		}
		out, next, err := applyPolicy(d, w, rec)
		if err != nil {
			return nil, nil, err
		}
		j, err := json.Marshal(next)
		return out, j, err
	}
}

func decodePolicyRecord(undo json.RawMessage) (policyRecord, error) {
	var rec policyRecord
	if len(undo) > 0 {
		if err := json.Unmarshal(undo, &rec); err != nil {
			return rec, fmt.Errorf("the ownership record's entry for the policy is damaged (%v)", err)
		}
	}
	return rec, nil
}
