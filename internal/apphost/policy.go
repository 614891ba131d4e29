package apphost

import (
	"strings"

	"github.com/beevik/etree"
)

// Verbs is system.webServer/security/requestFiltering/verbs: <add verb="..."
// allowed="true|false" />, keyed and compared like fileExtensions
// (https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/verbs/).
func Verbs() Collection {
	return Collection{Path: []string{"security", "requestFiltering", "verbs"}, Key: "verb"}
}

// ScopeEntries returns the keys of a scope's own entries of one kind in a
// collection ("add" or "remove"), in file order: what an exclusive policy
// compares with its list. Entries of the scopes above are not the scope's.
func (d *Doc) ScopeEntries(c Collection, location, op string) ([]string, error) {
	t, err := d.target(c, location)
	if err != nil || t.collection() == nil {
		return nil, err
	}
	var keys []string
	for _, en := range entries(t.collection(), c) {
		if en.op == op {
			keys = append(keys, en.key)
		}
	}
	return keys, nil
}

// scopeEntry returns the scope's own last entry of kind op for key.
func (d *Doc) scopeEntry(c Collection, location, op, key string) (*etree.Element, error) {
	t, err := d.target(c, location)
	if err != nil || t.collection() == nil {
		return nil, err
	}
	var found *etree.Element
	for _, en := range entries(t.collection(), c) {
		if en.op == op && strings.EqualFold(en.key, key) {
			found = en.el
		}
	}
	return found, nil
}

// CutEntry takes a scope's own <op key> out of a collection and records
// it, bytes and place, so that UncutEntry puts back the same bytes. The
// collection element stays, even when left empty, so that the entry has
// its place to go back to. It returns nil when there is no such entry.
func (d *Doc) CutEntry(c Collection, location, op, key string) ([]byte, *Cut, error) {
	if err := d.positions(); err != nil {
		return nil, nil, err
	}
	el, err := d.scopeEntry(c, location, op, key)
	if err != nil || el == nil {
		return d.src, nil, err
	}
	out, k := d.cut(c, location, el, false)
	if _, err := reparse(out, "removing the entry"); err != nil {
		return nil, nil, err
	}
	return out, &k, nil
}

// UncutEntry puts an entry CutEntry took back, at its old place when the
// bytes around it are still there. An entry that is back already (someone
// wrote it again) is left alone: a second one could be a duplicate IIS
// rejects.
func (d *Doc) UncutEntry(c Collection, k Cut, op, key string) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	if el, err := d.scopeEntry(c, k.Location, op, key); err != nil || el != nil {
		return d.src, err
	}
	return d.uncut(c, k, func(nd *Doc) bool {
		el, err := nd.scopeEntry(c, k.Location, op, key)
		return err == nil && el != nil
	})
}
