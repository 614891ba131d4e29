package apphost

import (
	"fmt"
	"strconv"
	"strings"
)

// Verdict says whether request filtering lets one URL through.
type Verdict struct {
	URL      string // as given
	Location string // the IIS location path the URL maps to
	Allowed  bool
	Status   string // the IIS status and substatus that blocks it ("404.7"); "" when allowed
	Rule     string // what blocks it: the extension or segment as written in the file, or the setting ("allowDoubleEscaping=false")
	Scope    string // where that rule is set: "" for the server scope, else a location path
	Default  bool   // the rule is an IIS default that no scope sets (Scope is then meaningless)
	Line     int    // the line that sets the rule; 0 for a default
	Reason   string // one sentence for people
}

// requestURL is a URL path split the way request filtering looks at it.
type requestURL struct {
	rawPath  string   // as sent, before any decoding
	query    string   // after '?', as sent
	hasQuery bool     // a '?' was present
	decoded  string   // rawPath decoded once
	segments []string // decoded path segments, empty ones dropped
}

// parseRequestURL accepts a path ("/SMS_DP_SMSPKG$/PKG00012/a.cab") or a
// whole URL ("http://dp01/SMS_DP_SMSPKG$/..."), with or without a query.
func parseRequestURL(u string) requestURL {
	s := u
	if i := strings.Index(s, "://"); i >= 0 && !strings.ContainsAny(s[:i], "/?%") {
		s = s[i+3:]
		if j := strings.IndexAny(s, "/?"); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	}
	if h := strings.IndexByte(s, '#'); h >= 0 {
		s = s[:h]
	}
	r := requestURL{}
	if q := strings.IndexByte(s, '?'); q >= 0 {
		s, r.query, r.hasQuery = s[:q], s[q+1:], true
	}
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	r.rawPath = s
	r.decoded = percentDecode(s)
	for _, seg := range strings.Split(r.decoded, "/") {
		if seg != "" {
			r.segments = append(r.segments, seg)
		}
	}
	return r
}

// percentDecode decodes every valid %XX escape once and leaves the rest
// (including '+', which is not a space in a URL path) as it is.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// URLLocation maps a URL on a site to the IIS location path whose
// configuration applies to it: "/SMS_DP_SMSPKG$/PKG00012/a.cab" on "Default
// Web Site" is "Default Web Site/SMS_DP_SMSPKG$/PKG00012/a.cab".
func URLLocation(site, url string) string {
	r := parseRequestURL(url)
	return strings.Join(append([]string{strings.Trim(site, "/")}, r.segments...), "/")
}

// extensionOf returns the file name extension request filtering matches
// for the last segment: from its last dot, or "." for a name without one
// (the entry IIS uses for extensionless URLs).
func extensionOf(r requestURL) string {
	if len(r.segments) == 0 || strings.HasSuffix(r.decoded, "/") {
		return "."
	}
	last := r.segments[len(r.segments)-1]
	if i := strings.LastIndexByte(last, '.'); i >= 0 && i < len(last)-1 {
		return last[i:]
	}
	return "."
}

// doubleEscaped reports what IIS's allowDoubleEscaping=false refuses: a
// path that changes when decoded a second time. IIS counts '+' as an
// escape (of a space) in that second pass, which is why "Program+Files"
// fails with 404.11 while "Program%20Files" does not.
func doubleEscaped(r requestURL) bool {
	return strings.Contains(r.decoded, "+") || percentDecode(r.decoded) != r.decoded
}

func highBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// Check evaluates url against the policy, which must be the one for the
// URL's location (see URLLocation and Doc.Check). Rules are tried in this
// order and the first that blocks decides: the URL length (404.14), the
// query string length (404.15), double escaping (404.11), high-bit
// characters (404.12), the file extension (404.7), hidden segments (404.8).
func (p *Policy) Check(url string) Verdict {
	return p.check(url, parseRequestURL(url))
}

// check is Check on a URL already parsed (Checker.Examine parses once).
func (p *Policy) check(url string, r requestURL) Verdict {
	v := Verdict{URL: url, Location: p.Location, Allowed: true}
	block := func(status, rule string, sv SettingValue, reason string) Verdict {
		v.Allowed, v.Status, v.Rule, v.Reason = false, status, rule, reason
		v.Scope, v.Default, v.Line = sv.Scope, !sv.Set, sv.Line
		return v
	}
	if lim := p.Setting(MaxURL); uint64(len(r.rawPath)) > lim.Number {
		return block("404.14", fmt.Sprintf("maxUrl=%d", lim.Number), lim,
			fmt.Sprintf("the URL path is %d bytes long and requestLimits maxUrl is %d", len(r.rawPath), lim.Number))
	}
	if lim := p.Setting(MaxQueryString); r.hasQuery && uint64(len(r.query)) > lim.Number {
		return block("404.15", fmt.Sprintf("maxQueryString=%d", lim.Number), lim,
			fmt.Sprintf("the query string is %d bytes long and requestLimits maxQueryString is %d", len(r.query), lim.Number))
	}
	if de := p.Setting(AllowDoubleEscaping); !de.Bool && doubleEscaped(r) {
		return block("404.11", "allowDoubleEscaping=false", de,
			"the URL path holds '+' or an escape that decodes to another escape, and allowDoubleEscaping is false")
	}
	if hb := p.Setting(AllowHighBitCharacters); !hb.Bool && highBit(r.decoded) {
		return block("404.12", "allowHighBitCharacters=false", hb,
			"the URL path holds non-ASCII characters and allowHighBitCharacters is false")
	}
	ext := extensionOf(r)
	if e := p.Extension(ext); e != nil {
		if !e.Allowed {
			sv := SettingValue{Set: true, Scope: e.Scope, Line: e.Line}
			return block("404.7", e.Extension, sv, fmt.Sprintf("the file extension %s is denied (<add fileExtension=%q allowed=\"false\" />)", ext, e.Extension))
		}
	} else if au := p.Setting(AllowUnlisted); !au.Bool {
		return block("404.7", "allowUnlisted=false", au,
			fmt.Sprintf("the file extension %s is not listed and fileExtensions allowUnlisted is false", ext))
	}
	for _, seg := range r.segments {
		if h := p.Segment(seg); h != nil {
			sv := SettingValue{Set: true, Scope: h.Scope, Line: h.Line}
			return block("404.8", h.Segment, sv, fmt.Sprintf("the path segment %q is a hidden segment (<add segment=%q />)", seg, h.Segment))
		}
	}
	return v
}

// Check maps url on site to its location, merges the policy there and
// evaluates it.
func (d *Doc) Check(site, url string) (Verdict, error) {
	p, err := d.Effective(URLLocation(site, url))
	if err != nil {
		return Verdict{}, err
	}
	return p.Check(url), nil
}
