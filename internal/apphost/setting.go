package apphost

import (
	"fmt"
	"strconv"
	"strings"
)

// Setting names one attribute of system.webServer/security/requestFiltering
// or of one of its child elements: "allowDoubleEscaping" is an attribute of
// <requestFiltering> itself, "requestLimits/maxUrl" one of <requestLimits>.
// A string type (not a struct) so that the names are constants and can key
// JSON objects in a resource's private state.
type Setting string

// The settings the provider reads and manages. The defaults are the IIS
// schema's (%windir%\System32\inetsrv\config\schema\IIS_schema.xml).
const (
	AllowDoubleEscaping     Setting = "allowDoubleEscaping"
	AllowHighBitCharacters  Setting = "allowHighBitCharacters"
	UnescapeQueryString     Setting = "unescapeQueryString"
	AllowUnlisted           Setting = "fileExtensions/allowUnlisted"
	MaxAllowedContentLength Setting = "requestLimits/maxAllowedContentLength"
	MaxURL                  Setting = "requestLimits/maxUrl"
	MaxQueryString          Setting = "requestLimits/maxQueryString"
)

// Settings lists every Setting in the order edits apply them (and undo them
// backwards): <requestFiltering>'s own attributes, then its children's, the
// order in which IIS writes those elements.
func Settings() []Setting {
	return []Setting{AllowDoubleEscaping, AllowHighBitCharacters, UnescapeQueryString, AllowUnlisted, MaxAllowedContentLength, MaxURL, MaxQueryString}
}

// The applyToWebDAV attribute of each collection the policy resource
// manages (IIS schema default true): whether the collection's rules also
// apply to WebDAV requests. Not in Settings(): the settings resource and the
// effective policy leave them alone.
const (
	FileExtensionsApplyToWebDAV Setting = "fileExtensions/applyToWebDAV"
	HiddenSegmentsApplyToWebDAV Setting = "hiddenSegments/applyToWebDAV"
	VerbsApplyToWebDAV          Setting = "verbs/applyToWebDAV"
)

// WebDAVSettings lists the applyToWebDAV settings, in the order IIS writes
// their elements.
func WebDAVSettings() []Setting {
	return []Setting{FileExtensionsApplyToWebDAV, VerbsApplyToWebDAV, HiddenSegmentsApplyToWebDAV}
}

// ScopeSetting returns a setting's raw value in the scope's own element, and
// whether the scope writes it.
func (d *Doc) ScopeSetting(location string, s Setting) (string, bool, error) {
	raw, present, _, err := d.scopeSetting(location, s)
	return raw, present, err
}

// Attr is the XML attribute's name.
func (s Setting) Attr() string {
	_, a := s.split()
	return a
}

// Element is the name of the element that carries the attribute.
func (s Setting) Element() string {
	if e, _ := s.split(); e != "" {
		return e
	}
	return "requestFiltering"
}

func (s Setting) split() (elem, attr string) {
	if e, a, ok := strings.Cut(string(s), "/"); ok {
		return e, a
	}
	return "", string(s)
}

// rel is the element's path below <system.webServer>.
func (s Setting) rel() []string {
	p := []string{"security", "requestFiltering"}
	if e, _ := s.split(); e != "" {
		p = append(p, e)
	}
	return p
}

// element is the Collection-shaped locator target() takes (Key unused).
func (s Setting) element() Collection { return Collection{Path: s.rel()} }

// Numeric reports whether the setting is a number (the others are booleans).
func (s Setting) Numeric() bool { e, _ := s.split(); return e == "requestLimits" }

// Default is the value IIS uses when no scope sets the attribute.
func (s Setting) Default() string {
	switch s {
	case AllowDoubleEscaping:
		return "false"
	case MaxAllowedContentLength:
		return "30000000"
	case MaxURL:
		return "4096"
	case MaxQueryString:
		return "2048"
	}
	return "true" // allowHighBitCharacters, unescapeQueryString, allowUnlisted
}

// Valid reports whether s is one of Settings() or WebDAVSettings().
func (s Setting) Valid() bool {
	for _, k := range append(Settings(), WebDAVSettings()...) {
		if k == s {
			return true
		}
	}
	return false
}

// SettingValue is a setting's value as IIS reads it.
type SettingValue struct {
	Setting Setting
	Raw     string // as written in the file, or the default
	Bool    bool   // for a boolean setting
	Number  uint64 // for a numeric setting
	Set     bool   // false: no scope sets the attribute and Raw is the IIS default
	Scope   string // where it is set: "" for the server scope, else a location path
	Line    int    // of the element that sets it; 0 for a default
}

// parse reads a raw value the way the IIS configuration system does:
// booleans case-insensitively, numbers as unsigned 32-bit integers.
func (s Setting) parse(raw string) (SettingValue, error) {
	v := SettingValue{Setting: s, Raw: raw}
	if s.Numeric() {
		n, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 32)
		if err != nil {
			return v, fmt.Errorf("%s must be a whole number from 0 to 4294967295", s.Attr())
		}
		v.Number = n
		return v, nil
	}
	switch {
	case strings.EqualFold(strings.TrimSpace(raw), "true"):
		v.Bool = true
	case strings.EqualFold(strings.TrimSpace(raw), "false"):
	default:
		return v, fmt.Errorf("%s must be true or false", s.Attr())
	}
	return v, nil
}

// ParseSetting checks a value for s, as the resources do before writing it.
func ParseSetting(s Setting, raw string) (SettingValue, error) { return s.parse(raw) }

func (s Setting) defaultValue() SettingValue {
	v, _ := s.parse(s.Default())
	return v
}

// sameValue reports whether two raw values mean the same to IIS, so that an
// edit can leave "True" alone when asked for "true".
func (s Setting) sameValue(a, b string) bool {
	va, errA := s.parse(a)
	vb, errB := s.parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return va.Bool == vb.Bool && va.Number == vb.Number
}
