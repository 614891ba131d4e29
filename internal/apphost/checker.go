package apphost

import (
	"strconv"
	"strings"
)

// Checker checks many URLs of one site against the policy IIS applies to
// each, merging the policy once per distinct set of <location> scopes
// instead of once per URL: a DP's content library holds 100,000 files
// under a handful of locations at most.
type Checker struct {
	doc  *Doc
	site string
	locs map[string]bool    // the file's non-empty location paths, trimmed, lower case
	memo map[string]*Policy // by the scopes that apply, see key
	// paths are the <location> paths split into segments, for Examine.
	paths [][]string
	// byScopes holds, by the <location> paths that apply (see key), the
	// policy there and the outer ones.
	byScopes map[string]scopePolicies
}

// scopePolicies are the policies of the URLs one set of <location> paths
// applies to: their own, and the outer ones (see Outer).
type scopePolicies struct {
	own   *Policy
	outer []*Policy
}

// NewChecker returns a Checker for URLs on site.
func (d *Doc) NewChecker(site string) *Checker {
	c := &Checker{doc: d, site: strings.Trim(site, "/"), locs: map[string]bool{}, memo: map[string]*Policy{}, byScopes: map[string]scopePolicies{}}
	for _, p := range d.scopePaths() {
		if p == "" {
			continue // the server scope applies everywhere
		}
		p = strings.ToLower(p)
		c.locs[p] = true
		var segs []string
		for _, s := range strings.Split(p, "/") {
			if s != "" {
				segs = append(segs, s)
			}
		}
		c.paths = append(c.paths, segs)
	}
	return c
}

// key names the <location> paths that apply at location: the ones equal to
// it or to an ancestor (Doc.levels compares them case-insensitively too).
func (c *Checker) key(location string) string {
	var b, prefix strings.Builder
	for _, p := range strings.Split(strings.ToLower(location), "/") {
		if p == "" {
			continue
		}
		if prefix.Len() > 0 {
			prefix.WriteByte('/')
		}
		prefix.WriteString(p)
		if c.locs[prefix.String()] {
			b.WriteString(prefix.String())
			b.WriteByte(0)
		}
	}
	return b.String()
}

// Policy returns the effective policy for url on the Checker's site.
func (c *Checker) Policy(url string) (*Policy, error) {
	loc := URLLocation(c.site, url)
	k := c.key(loc)
	p, ok := c.memo[k]
	if !ok {
		var err error
		if p, err = c.doc.Effective(loc); err != nil {
			return nil, err
		}
		c.memo[k] = p
	}
	cp := *p // the lists are shared and never changed; only the location differs
	cp.Location = strings.Trim(loc, "/")
	return &cp, nil
}

// Check evaluates url as Doc.Check does.
func (c *Checker) Check(url string) (Verdict, *Policy, error) {
	p, err := c.Policy(url)
	if err != nil {
		return Verdict{}, nil, err
	}
	return p.Check(url), p, nil
}

// Outer returns the policies of the scopes above url's own: the server
// scope, and each <location> that applies on the way down, without the
// deeper ones. A rule one of them sets and a deeper <location> overrides is
// a rule the content depends on being overridden.
func (c *Checker) Outer(url string) ([]*Policy, error) {
	loc := URLLocation(c.site, url)
	full := c.key(loc)
	var out []*Policy
	var prefix strings.Builder
	add := func(l string) error {
		k := c.key(l)
		if k == full && l != "" {
			return nil // the URL's own policy: Policy has it
		}
		p, ok := c.memo[k]
		if !ok {
			var err error
			if p, err = c.doc.Effective(l); err != nil {
				return err
			}
			c.memo[k] = p
		}
		out = append(out, p)
		return nil
	}
	if err := add(""); err != nil {
		return nil, err
	}
	for _, part := range strings.Split(loc, "/") {
		if part == "" {
			continue
		}
		if prefix.Len() > 0 {
			prefix.WriteByte('/')
		}
		prefix.WriteString(part)
		if c.locs[strings.ToLower(prefix.String())] {
			if err := add(prefix.String()); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Blockers lists every extension and hidden segment rule that refuses url,
// not only the first one Check reports: allowing what Check names can
// reveal the next rule (web.config is refused for .config with 404.7 and,
// once .config is allowed, as the hidden segment web.config with 404.8).
// ext is the extension to allow (the entry as the file writes it, or the
// URL's own extension when allowUnlisted=false refuses it unlisted); segs
// are the hidden segments as the file writes them.
func (p *Policy) Blockers(url string) (ext string, segs []string) {
	return p.blockers(parseRequestURL(url))
}

func (p *Policy) blockers(r requestURL) (ext string, segs []string) {
	e := extensionOf(r)
	if en := p.Extension(e); en != nil {
		if !en.Allowed {
			ext = en.Extension
		}
	} else if !p.Setting(AllowUnlisted).Bool {
		ext = e
	}
	for _, s := range r.segments {
		if h := p.Segment(s); h != nil {
			segs = append(segs, h.Segment)
		}
	}
	return ext, segs
}

// Finding is what Examine says of one URL.
type Finding struct {
	Verdict Verdict
	// Extensions and Segments are the rules the URL needs allowed: those
	// that refuse it at its location (all of them, see Blockers) and those
	// an outer scope sets and a deeper <location> overrides (see Outer).
	Extensions []string
	Segments   []string
}

// Examine is Check, and Blockers over the URL's policy and its outer ones,
// in one pass: the URL is parsed once, and the policies are looked up by
// the <location> paths that apply, found by comparing segments without
// building the location's prefixes. It answers what Check, Outer and
// Blockers answer one by one (TestExamineMatches).
func (c *Checker) Examine(url string) (Finding, error) {
	r := parseRequestURL(url)
	var key strings.Builder
	for i, p := range c.paths {
		if c.applies(p, r.segments) {
			key.WriteString(strconv.Itoa(i))
			key.WriteByte(',')
		}
	}
	sp, ok := c.byScopes[key.String()]
	if !ok {
		own, err := c.Policy(url)
		if err != nil {
			return Finding{}, err
		}
		outer, err := c.Outer(url)
		if err != nil {
			return Finding{}, err
		}
		sp = scopePolicies{own: own, outer: outer}
		c.byScopes[key.String()] = sp
	}
	own := *sp.own
	own.Location = strings.Join(append([]string{c.site}, r.segments...), "/")
	f := Finding{Verdict: own.check(url, r)}
	for _, q := range append(sp.outer[:len(sp.outer):len(sp.outer)], sp.own) {
		ext, segs := q.blockers(r)
		if ext != "" {
			f.Extensions = addFold(f.Extensions, ext)
		}
		for _, g := range segs {
			f.Segments = addFold(f.Segments, g)
		}
	}
	return f, nil
}

// applies reports whether the <location> path p (segments, lower case) is
// the location of a URL with these segments on the Checker's site, or one
// of its ancestors.
func (c *Checker) applies(p, segs []string) bool {
	if len(p) == 0 || !strings.EqualFold(p[0], c.site) || len(p)-1 > len(segs) {
		return false
	}
	for i, s := range p[1:] {
		if !strings.EqualFold(s, segs[i]) {
			return false
		}
	}
	return true
}

// addFold appends s unless list has it, compared case-insensitively as IIS
// compares extensions and segments. The lists hold a rule or two.
func addFold(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

// VirtualDirectories returns the virtual directory paths of a site as
// <sites> declares them (system.applicationHost/sites/site/application/
// virtualDirectory), each as application path + virtual directory path
// without the leading '/': "SMS_DP_SMSPKG$". Site names compare
// case-insensitively, as IIS's do. nil when the site is not declared.
func (d *Doc) VirtualDirectories(site string) []string {
	var out []string
	for _, s := range d.Root().FindElements("./system.applicationHost/sites/site") {
		if !strings.EqualFold(s.SelectAttrValue("name", ""), site) {
			continue
		}
		for _, app := range s.SelectElements("application") {
			base := strings.Trim(app.SelectAttrValue("path", "/"), "/")
			for _, v := range app.SelectElements("virtualDirectory") {
				p := strings.Trim(v.SelectAttrValue("path", "/"), "/")
				switch {
				case p == "":
					p = base
				case base != "":
					p = base + "/" + p
				}
				if p != "" {
					out = append(out, p)
				}
			}
		}
	}
	return out
}
