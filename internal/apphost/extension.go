package apphost

import (
	"fmt"
	"strings"
)

// ExtensionRule is an <add fileExtension> entry of request filtering.
type ExtensionRule struct {
	Extension string // as written in the file
	Allowed   bool
}

// ExtensionOwnership records what creating a rule did to the file, so that deleting it
// undoes exactly that: an adopted entry gets its earlier value back, an added
// entry goes (with the <remove> written before it).
type ExtensionOwnership struct {
	Adopted         bool    `json:"adopted"`
	PreviousAllowed *string `json:"previous_allowed,omitempty"` // raw attribute text; nil when absent
	WroteRemove     bool    `json:"wrote_remove,omitempty"`
}

// FileExtension returns the rule for ext in a scope, or nil when the scope has
// no <add> for it.
func (d *Doc) FileExtension(location, ext string) (*ExtensionRule, error) {
	return d.AllowedRule(FileExtensions(), location, ext)
}

// AllowedRule returns the <add> for key in a scope of a collection whose
// entries carry allowed="true|false" (fileExtensions, verbs), or nil when
// the scope has none. Extension is the key as the file writes it.
func (d *Doc) AllowedRule(c Collection, location, key string) (*ExtensionRule, error) {
	en, ok, err := d.Lookup(c, location, key)
	if err != nil || !ok {
		return nil, err
	}
	allowed, err := parseAllowed(c, en, location)
	if err != nil {
		return nil, err
	}
	return &ExtensionRule{Extension: en.Key, Allowed: allowed}, nil
}

// parseAllowed reads allowed="..." the way IIS does: case-insensitive, and
// true when absent (the schema default).
func parseAllowed(c Collection, en Entry, location string) (bool, error) {
	v, ok := en.Attr("allowed")
	switch {
	case !ok:
		return true, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, &ScopeError{Line: en.Line(), Msg: fmt.Sprintf("<add %s=%q allowed=%q> in %s: allowed must be true or false; fix the value by hand", c.Key, en.Key, v, describeScope(location))}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// CreateFileExtension makes ext allowed or denied in a scope. An existing
// entry is adopted (its value is set and the old one recorded); otherwise an
// entry is added, with a <remove> first when the scope inherits one, since IIS
// rejects a second <add> for a key a parent scope already has (HTTP 500.19).
func (d *Doc) CreateFileExtension(location, ext string, allowed bool) ([]byte, ExtensionOwnership, error) {
	return d.CreateAllowed(FileExtensions(), location, ext, allowed)
}

// CreateAllowed is CreateFileExtension for any collection of allowed
// entries (fileExtensions, verbs): the same adoption and ownership rules.
func (d *Doc) CreateAllowed(c Collection, location, ext string, allowed bool) ([]byte, ExtensionOwnership, error) {
	if err := d.positions(); err != nil {
		return nil, ExtensionOwnership{}, err
	}
	en, ok, err := d.Lookup(c, location, ext)
	if err != nil {
		return nil, ExtensionOwnership{}, err
	}
	if ok {
		if _, err := parseAllowed(c, en, location); err != nil {
			return nil, ExtensionOwnership{}, err
		}
		own := ExtensionOwnership{Adopted: true}
		if v, present := en.Attr("allowed"); present {
			own.PreviousAllowed = &v
		}
		out, err := d.setAllowed(c, en, location, allowed)
		return out, own, err
	}
	inh, err := d.Inherited(c, location, ext)
	if err != nil {
		return nil, ExtensionOwnership{}, err
	}
	out, err := d.Add(c, location, ext, []Attr{{"allowed", boolText(allowed)}}, inh)
	return out, ExtensionOwnership{WroteRemove: inh}, err
}

// SetFileExtensionAllowed changes allowed on an existing entry; when the entry
// is gone it is added again, as a new create would.
func (d *Doc) SetFileExtensionAllowed(location, ext string, allowed bool) ([]byte, error) {
	return d.SetAllowed(FileExtensions(), location, ext, allowed)
}

// SetAllowed is SetFileExtensionAllowed for any collection of allowed entries.
func (d *Doc) SetAllowed(c Collection, location, ext string, allowed bool) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	en, ok, err := d.Lookup(c, location, ext)
	if err != nil {
		return nil, err
	}
	if !ok {
		out, _, err := d.CreateAllowed(c, location, ext, allowed)
		return out, err
	}
	return d.setAllowed(c, en, location, allowed)
}

// setAllowed leaves the file alone when the value already means the same.
func (d *Doc) setAllowed(c Collection, en Entry, location string, allowed bool) ([]byte, error) {
	cur, err := parseAllowed(c, en, location)
	if err != nil {
		return nil, err
	}
	if _, present := en.Attr("allowed"); present && cur == allowed {
		return d.src, nil
	}
	v := boolText(allowed)
	return d.SetEntryAttr(c, location, en.Key, "allowed", &v)
}

// DeleteFileExtension undoes CreateFileExtension as own records it.
func (d *Doc) DeleteFileExtension(location, ext string, own ExtensionOwnership) ([]byte, error) {
	return d.DeleteAllowed(FileExtensions(), location, ext, own)
}

// DeleteAllowed is DeleteFileExtension for any collection of allowed entries.
func (d *Doc) DeleteAllowed(c Collection, location, ext string, own ExtensionOwnership) ([]byte, error) {
	if err := d.positions(); err != nil {
		return nil, err
	}
	if own.Adopted {
		en, ok, err := d.Lookup(c, location, ext)
		if err != nil || !ok {
			return d.src, err // gone already: nothing to restore
		}
		if v, present := en.Attr("allowed"); present == (own.PreviousAllowed != nil) && (!present || v == *own.PreviousAllowed) {
			return d.src, nil
		}
		return d.SetEntryAttr(c, location, en.Key, "allowed", own.PreviousAllowed)
	}
	return d.Remove(c, location, ext, own.WroteRemove)
}
