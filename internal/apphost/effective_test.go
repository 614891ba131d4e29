package apphost

import (
	"bytes"
	"strings"
	"testing"
)

// withLocation appends a <location path=...> block, in the fixture's style,
// holding request filtering elements (given as lines below <requestFiltering>).
func withLocation(t *testing.T, b []byte, path string, rf ...string) []byte {
	t.Helper()
	lines := []string{
		`    <location path="` + path + `">`,
		`        <system.webServer>`,
		`            <security>`,
		`                <requestFiltering>`,
	}
	for _, l := range rf {
		lines = append(lines, `                    `+l)
	}
	lines = append(lines,
		`                </requestFiltering>`,
		`            </security>`,
		`        </system.webServer>`,
		`    </location>`,
		`</configuration>`)
	i := bytes.LastIndex(b, []byte("</configuration>"))
	if i < 0 {
		t.Fatal("no </configuration>")
	}
	out := append([]byte{}, b[:i]...)
	return append(out, strings.Join(lines, "\r\n")+"\r\n"...)
}

func extensionKeys(p *Policy) []string {
	var out []string
	for _, e := range p.FileExtensions {
		out = append(out, e.Extension+"@"+e.Scope)
	}
	return out
}

func segmentKeys(p *Policy) []string {
	var out []string
	for _, s := range p.HiddenSegments {
		out = append(out, s.Segment+"@"+s.Scope)
	}
	return out
}

func TestEffectiveOnFixtures(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	cases := []struct {
		name, location string
		in             []byte
		exts           int
		segments       []string
		allowUnlisted  SettingValue
	}{
		{name: "ASP.NET, server", in: asp, exts: 43,
			segments:      []string{"web.config@", "bin@", "App_code@", "App_GlobalResources@", "App_LocalResources@", "App_WebReferences@", "App_Data@", "App_Browsers@"},
			allowUnlisted: SettingValue{Raw: "true", Bool: true, Set: true, Line: 345}},
		{name: "ASP.NET, a package folder inherits the server scope", in: asp, location: "Default Web Site/SMS_DP_SMSPKG$/PKG00012", exts: 43,
			segments:      []string{"web.config@", "bin@", "App_code@", "App_GlobalResources@", "App_LocalResources@", "App_WebReferences@", "App_Data@", "App_Browsers@"},
			allowUnlisted: SettingValue{Raw: "true", Bool: true, Set: true, Line: 345}},
		{name: "base install", in: base, location: "Default Web Site", exts: 0,
			segments:      []string{"web.config@"},
			allowUnlisted: SettingValue{Raw: "true", Bool: true, Set: true, Line: 337}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mustParse(t, tc.in).Effective(tc.location)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.FileExtensions) != tc.exts {
				t.Errorf("%d extensions, want %d", len(p.FileExtensions), tc.exts)
			}
			for _, e := range p.FileExtensions {
				if e.Allowed || e.Scope != "" {
					t.Errorf("extension %+v: want denied at the server scope", e)
				}
			}
			equalLines(t, "hidden segments", segmentKeys(p), tc.segments)
			au := p.Setting(AllowUnlisted)
			if au.Bool != tc.allowUnlisted.Bool || au.Set != tc.allowUnlisted.Set || au.Line != tc.allowUnlisted.Line || au.Scope != "" {
				t.Errorf("allowUnlisted = %+v, want %+v", au, tc.allowUnlisted)
			}
			// Nothing else is set in either file: IIS defaults.
			for s, want := range map[Setting]string{AllowDoubleEscaping: "false", AllowHighBitCharacters: "true", UnescapeQueryString: "true",
				MaxAllowedContentLength: "30000000", MaxURL: "4096", MaxQueryString: "2048"} {
				if v := p.Setting(s); v.Set || v.Raw != want {
					t.Errorf("%s = %+v, want the default %s", s, v, want)
				}
			}
		})
	}
}

// TestEffectiveMerge: add, remove and clear applied in scope order, the
// deciding scope of each entry, and attributes overridden on the way down.
func TestEffectiveMerge(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	const site, pkg = "Default Web Site", "Default Web Site/SMS_DP_SMSPKG$"
	cases := []struct {
		name     string
		in       []byte
		location string
		wantExt  []string // extension@scope, in order; nil: not compared
		nExt     int      // when wantExt is nil: how many
		segments []string
		settings map[Setting]string // raw@scope
		denied   map[string]bool    // extension -> allowed
	}{
		{
			name:     "remove in a location",
			in:       withLocation(t, asp, pkg, `<fileExtensions><remove fileExtension=".config" /></fileExtensions>`, `<hiddenSegments><remove segment="BIN" /></hiddenSegments>`),
			location: pkg + "/PKG00012",
			nExt:     42,
			segments: []string{"web.config@", "App_code@", "App_GlobalResources@", "App_LocalResources@", "App_WebReferences@", "App_Data@", "App_Browsers@"},
		},
		{
			name:     "remove then add: the location decides",
			in:       withLocation(t, asp, pkg, `<fileExtensions><remove fileExtension=".config" /><add fileExtension=".config" allowed="true" /></fileExtensions>`),
			location: pkg,
			nExt:     43,
			denied:   map[string]bool{".config": true, ".mdb": false},
		},
		{
			name:     "clear in a location, then its own entries",
			in:       withLocation(t, asp, pkg, `<fileExtensions allowUnlisted="false"><clear /><add fileExtension=".cab" allowed="true" /></fileExtensions>`, `<hiddenSegments><clear /></hiddenSegments>`),
			location: pkg,
			wantExt:  []string{".cab@" + pkg},
			segments: []string{},
			settings: map[Setting]string{AllowUnlisted: "false@" + pkg},
		},
		{
			name:     "a location above the path does not apply to a sibling",
			in:       withLocation(t, asp, "Default Web Site/Other", `<fileExtensions><clear /></fileExtensions>`),
			location: pkg,
			nExt:     43,
		},
		{
			name: "each level in order, the deepest attribute wins",
			in: withLocation(t, withLocation(t, asp, site, `<requestLimits maxUrl="8192" maxQueryString="4096" />`, `<hiddenSegments><clear /><add segment="private" /></hiddenSegments>`),
				pkg, `<requestLimits maxUrl="16384" />`, `<hiddenSegments><add segment="bin" /></hiddenSegments>`),
			location: pkg + "/PKG00012/Tools",
			nExt:     43,
			segments: []string{"private@" + site, "bin@" + pkg},
			settings: map[Setting]string{MaxURL: "16384@" + pkg, MaxQueryString: "4096@" + site, MaxAllowedContentLength: "30000000@default"},
		},
		{
			name:     `<location path=""> is the server scope`,
			in:       withLocation(t, asp, "", `<hiddenSegments><add segment="tfacc" /></hiddenSegments>`),
			location: "",
			segments: []string{"web.config@", "bin@", "App_code@", "App_GlobalResources@", "App_LocalResources@", "App_WebReferences@", "App_Data@", "App_Browsers@", "tfacc@"},
			nExt:     43,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mustParse(t, tc.in).Effective(tc.location)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantExt != nil {
				equalLines(t, "extensions", extensionKeys(p), tc.wantExt)
			} else if len(p.FileExtensions) != tc.nExt {
				t.Errorf("%d extensions, want %d", len(p.FileExtensions), tc.nExt)
			}
			if tc.segments != nil {
				equalLines(t, "segments", segmentKeys(p), tc.segments)
			}
			for s, want := range tc.settings {
				v := p.Setting(s)
				scope := v.Scope
				if !v.Set {
					scope = "default"
				}
				if got := v.Raw + "@" + scope; got != want {
					t.Errorf("%s = %s, want %s", s, got, want)
				}
			}
			for ext, allowed := range tc.denied {
				if e := p.Extension(ext); e == nil || e.Allowed != allowed {
					t.Errorf("%s: %+v, want allowed=%t", ext, e, allowed)
				}
			}
		})
	}
	t.Run("empty segments do not apply a location twice", func(t *testing.T) {
		in := withLocation(t, asp, site, `<hiddenSegments><add segment="x" /></hiddenSegments>`)
		p, err := mustParse(t, in).Effective("Default Web Site//SMS_DP_SMSPKG$/")
		if err != nil || p.Segment("x") == nil {
			t.Fatalf("%v", err)
		}
	})
	t.Run("location paths match case-insensitively, with or without slashes", func(t *testing.T) {
		in := withLocation(t, asp, "/default web site/sms_dp_smspkg$/", `<requestFiltering allowDoubleEscaping="true" />`)
		// The line above nests <requestFiltering> in <requestFiltering>;
		// build the intended shape instead.
		in = bytes.Replace(in, []byte("<requestFiltering>\r\n                    <requestFiltering allowDoubleEscaping=\"true\" />\r\n                </requestFiltering>"),
			[]byte(`<requestFiltering allowDoubleEscaping="true" />`), 1)
		p, err := mustParse(t, in).Effective(pkg + "/PKG00012")
		if err != nil {
			t.Fatal(err)
		}
		if v := p.Setting(AllowDoubleEscaping); !v.Bool || v.Scope != "default web site/sms_dp_smspkg$" {
			t.Errorf("allowDoubleEscaping = %+v", v)
		}
		if v, _ := mustParse(t, in).Effective(site); v.Setting(AllowDoubleEscaping).Bool {
			t.Error("the parent location must not see the child's setting")
		}
	})
}

func TestEffectiveRefusals(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	cases := []struct {
		name, want string
		in         []byte
	}{
		{"inherited key added again without remove", "duplicates the entry on line 352", withLocation(t, asp, pkg, `<fileExtensions><add fileExtension=".CONFIG" allowed="true" /></fileExtensions>`)},
		{"hidden segment added again", `<add segment="bin"> in <location path="Default Web Site/SMS_DP_SMSPKG$"> duplicates`, withLocation(t, asp, pkg, `<hiddenSegments><add segment="bin" /></hiddenSegments>`)},
		{"bad number", `<requestLimits maxUrl="lots">`, withLocation(t, asp, pkg, `<requestLimits maxUrl="lots" />`)},
		{"bad boolean", `allowUnlisted must be true or false`, withLocation(t, asp, pkg, `<fileExtensions allowUnlisted="yes" />`)},
		{"number out of range", `whole number from 0 to 4294967295`, withLocation(t, asp, pkg, `<requestLimits maxAllowedContentLength="4294967296" />`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustParse(t, tc.in).Effective(pkg + "/PKG00012")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
