package apphost

import (
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// Validate checks a file the way IIS does when it reads request filtering:
// it must parse, and in every scope an <add> for a key already in effect
// there (from the scope itself or inherited from the scopes above it) is the
// error IIS reports as HTTP 500.19 "Cannot add duplicate collection entry".
// The DP simulator runs it after every write, as Windows runs appcmd.
func Validate(src []byte) error {
	d, err := Parse(src)
	if err != nil {
		return err
	}
	paths := d.scopePaths()
	for _, c := range []Collection{FileExtensions(), HiddenSegments()} {
		for _, p := range paths {
			if err := d.checkScope(c, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// scopePaths lists the server scope and every <location> path of the file,
// once each (compared as sameLocation compares them), sorted so that
// parents come before their children.
func (d *Doc) scopePaths() []string {
	paths := []string{""}
	seen := map[string]bool{"": true}
	for _, l := range d.Root().SelectElements("location") {
		p := strings.Trim(l.SelectAttrValue("path", ""), "/")
		if !seen[strings.ToLower(p)] {
			seen[strings.ToLower(p)] = true
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

// checkScope replays the collection from the server scope down to location
// and reports the first <add> of a key that is already present.
func (d *Doc) checkScope(c Collection, location string) error {
	present := map[string]bool{}
	scopes := []string{""}
	if location != "" {
		scopes = append(parentScopes(location), location)
	}
	for i, scope := range scopes {
		own := i == len(scopes)-1 // report only this scope's own entries
		for _, coll := range d.collectionsOf(c, scope) {
			for _, en := range entries(coll, c) {
				k := strings.ToLower(en.key)
				switch en.op {
				case "clear":
					present = map[string]bool{}
				case "remove":
					delete(present, k)
				case "add":
					if present[k] && own {
						return &ScopeError{Line: d.Line(en.el), Msg: fmt.Sprintf("Cannot add duplicate collection entry of type 'add' with unique key attribute '%s' set to '%s' in %s of %s (IIS answers HTTP 500.19)", c.Key, en.key, c.Name(), describeScope(location))}
					}
					present[k] = true
				}
			}
		}
	}
	return nil
}

// collectionsOf returns the collection elements of one scope, in file order
// (the server scope includes <location path="">).
func (d *Doc) collectionsOf(c Collection, scope string) []*etree.Element {
	roots := d.scopeRoots(scope)
	if scope == "" {
		for _, l := range d.Root().SelectElements("location") {
			if strings.Trim(l.SelectAttrValue("path", ""), "/") == "" {
				roots = append(roots, l)
			}
		}
	}
	var out []*etree.Element
	for _, r := range roots {
		if e, n, err := d.chain(r, append([]string{"system.webServer"}, c.Path...)); err == nil && n == len(c.Path)+1 {
			out = append(out, e)
		}
	}
	return out
}

// CheckCollections reports the first request filtering entry that makes IIS
// reject the file, in any scope, in the words the provider uses when it
// reads a scope (see mergeCollection): the line, the entry it duplicates
// and what to delete. Validate models appcmd and speaks as IIS does; this
// one is for messages to users. The provider runs it before a write, to
// tell a fault the file already had (which no apply can get past) from one
// an edit would make.
func (d *Doc) CheckCollections() error {
	for _, p := range d.scopePaths() { // the first fault is the outermost
		lv := d.levels(p)
		for _, c := range []Collection{FileExtensions(), HiddenSegments()} {
			if _, err := d.mergeCollection(lv, c); err != nil {
				return err
			}
		}
	}
	return nil
}
