package apphost

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

func values(kv ...string) map[Setting]*string {
	out := map[Setting]*string{}
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		out[Setting(kv[i])] = &v
	}
	return out
}

// releaseAll maps every setting of own (and of want) to nil: what destroy
// asks for.
func releaseAll(want map[Setting]*string, own SettingsOwnership) map[Setting]*string {
	out := map[Setting]*string{}
	for s := range want {
		out[s] = nil
	}
	for s := range own.Previous {
		out[s] = nil
	}
	return out
}

// TestManageSettingsOnFixtures: writing settings changes only attribute
// bytes (and adds elements where none exist), and releasing them gives
// back the original bytes.
func TestManageSettingsOnFixtures(t *testing.T) {
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	cases := []struct {
		name, file, location string
		want                 map[Setting]*string
		removed, added       []string
		contains             [][]string         // instead of removed and added: runs of lines the result holds
		previous             map[Setting]string // "<absent>" for nil
	}{
		{name: "allowDoubleEscaping at the server scope", file: fixtureASPNET, want: values("allowDoubleEscaping", "true"),
			removed:  testfixtures.CRLF(`            <requestFiltering>`),
			added:    testfixtures.CRLF(`            <requestFiltering allowDoubleEscaping="true">`),
			previous: map[Setting]string{AllowDoubleEscaping: "<absent>"}},
		{name: "allowUnlisted: only the value's bytes", file: fixtureASPNET, want: values("fileExtensions/allowUnlisted", "false"),
			removed:  testfixtures.CRLF(`                <fileExtensions allowUnlisted="true" applyToWebDAV="true">`),
			added:    testfixtures.CRLF(`                <fileExtensions allowUnlisted="false" applyToWebDAV="true">`),
			previous: map[Setting]string{AllowUnlisted: "true"}},
		{name: "same value (any case): adopted, nothing written", file: fixtureBase, want: values("fileExtensions/allowUnlisted", "True"),
			previous: map[Setting]string{AllowUnlisted: "true"}},
		{name: "requestLimits created after the last child", file: fixtureASPNET, want: values("requestLimits/maxUrl", "8192", "requestLimits/maxQueryString", "4096"),
			added:    testfixtures.CRLF(`                <requestLimits maxUrl="8192" maxQueryString="4096" />`),
			previous: map[Setting]string{MaxURL: "<absent>", MaxQueryString: "<absent>"}},
		{name: "a new location", file: fixtureASPNET, location: pkg,
			want: values("allowDoubleEscaping", "true", "requestLimits/maxAllowedContentLength", "4294967295"),
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering allowDoubleEscaping="true">`,
				`                    <requestLimits maxAllowedContentLength="4294967295" />`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`)},
		{name: "an existing location", file: fixtureBase, location: "Default Web Site", want: values("fileExtensions/allowUnlisted", "false"),
			added: testfixtures.CRLF(
				`            <security>`,
				`                <requestFiltering>`,
				`                    <fileExtensions allowUnlisted="false" />`,
				`                </requestFiltering>`,
				`            </security>`)},
		{name: "every setting", file: fixtureASPNET, want: values("allowDoubleEscaping", "true", "allowHighBitCharacters", "false", "unescapeQueryString", "false",
			"fileExtensions/allowUnlisted", "false", "requestLimits/maxAllowedContentLength", "1", "requestLimits/maxUrl", "2", "requestLimits/maxQueryString", "3"),
			contains: [][]string{
				testfixtures.CRLF(`            <requestFiltering allowDoubleEscaping="true" allowHighBitCharacters="false" unescapeQueryString="false">`,
					`                <fileExtensions allowUnlisted="false" applyToWebDAV="true">`),
				testfixtures.CRLF(`                </hiddenSegments>`,
					`                <requestLimits maxAllowedContentLength="1" maxUrl="2" maxQueryString="3" />`,
					`            </requestFiltering>`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := fixture(t, tc.file)
			out, own, err := mustParse(t, orig).ManageSettings(tc.location, tc.want, SettingsOwnership{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.contains != nil {
				for _, run := range tc.contains {
					if !bytes.Contains(out, []byte(strings.Join(run, ""))) {
						t.Errorf("missing %q", run)
					}
				}
			} else {
				removed, added := testfixtures.LineDiff(orig, out)
				equalLines(t, "removed", removed, tc.removed)
				equalLines(t, "added", added, tc.added)
			}
			for s, want := range tc.previous {
				p, ok := own.Previous[s]
				got := "<absent>"
				if p != nil {
					got = *p
				}
				if !ok || got != want {
					t.Errorf("previous %s = %q (recorded %t), want %q", s, got, ok, want)
				}
			}
			p, err := mustParse(t, out).Effective(tc.location + "/PKG00012")
			if err != nil {
				t.Fatal(err)
			}
			for s, v := range tc.want {
				if got := p.Setting(s); !s.sameValue(got.Raw, *v) {
					t.Errorf("effective %s = %q, want %q", s, got.Raw, *v)
				}
			}
			back, own, err := mustParse(t, out).ManageSettings(tc.location, releaseAll(tc.want, own), roundTrip(t, own))
			if err != nil {
				t.Fatal(err)
			}
			restoredExactly(t, orig, back)
			if len(own.Previous) != 0 || len(own.Made) != 0 {
				t.Errorf("after releasing everything the record is %+v", own)
			}
		})
	}
}

// TestManageSettingsLifecycle: update adds and releases settings; each
// setting's earlier value is the one from before it was first written.
func TestManageSettingsLifecycle(t *testing.T) {
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	asp := fixture(t, fixtureASPNET)
	// A location with a self-closing <requestFiltering ... />: opened for
	// <requestLimits>, and closed again with its own "/>".
	sc := withLocation(t, asp, pkg)
	sc = edit(t, sc, "<requestFiltering>\r\n                </requestFiltering>", `<requestFiltering allowDoubleEscaping="true"/>`)

	steps := []struct {
		want   map[Setting]*string
		expect map[Setting]string // effective raw values at pkg after the step
	}{
		{want: values("requestLimits/maxUrl", "8192"), expect: map[Setting]string{MaxURL: "8192", AllowDoubleEscaping: "true"}},
		{want: values("requestLimits/maxUrl", "16384", "allowDoubleEscaping", "false"), expect: map[Setting]string{MaxURL: "16384", AllowDoubleEscaping: "false"}},
		{want: map[Setting]*string{MaxURL: nil, MaxQueryString: ptr("100")}, expect: map[Setting]string{MaxURL: "4096", MaxQueryString: "100", AllowDoubleEscaping: "false"}},
		{want: map[Setting]*string{AllowDoubleEscaping: nil}, expect: map[Setting]string{AllowDoubleEscaping: "true", MaxQueryString: "100"}},
	}
	cur, own := sc, SettingsOwnership{}
	for i, st := range steps {
		out, o, err := mustParse(t, cur).ManageSettings(pkg, st.want, own)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		cur, own = out, roundTrip(t, o)
		p, err := mustParse(t, cur).Effective(pkg)
		if err != nil {
			t.Fatal(err)
		}
		for s, want := range st.expect {
			if got := p.Setting(s).Raw; got != want {
				t.Errorf("step %d: %s = %q, want %q", i, s, got, want)
			}
		}
	}
	if p := own.Previous[AllowDoubleEscaping]; p != nil {
		t.Errorf("allowDoubleEscaping was released: record %q", *p)
	}
	back, _, err := mustParse(t, cur).ManageSettings(pkg, releaseAll(nil, own), own)
	if err != nil {
		t.Fatal(err)
	}
	restoredExactly(t, sc, back)
}

func TestManageSettingsImportedAndRefusals(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	t.Run("no record (imported): the attribute is removed", func(t *testing.T) {
		in := edit(t, asp, "            <requestFiltering>", `            <requestFiltering allowDoubleEscaping="true">`)
		out, _, err := mustParse(t, in).ManageSettings("", map[Setting]*string{AllowDoubleEscaping: nil}, SettingsOwnership{})
		if err != nil {
			t.Fatal(err)
		}
		restoredExactly(t, asp, out)
	})
	t.Run("the earlier attribute text comes back as written", func(t *testing.T) {
		in := withLocation(t, asp, "Default Web Site", `<requestLimits maxUrl='&#52;096' maxQueryString="2048" />`)
		out, own, err := mustParse(t, in).ManageSettings("Default Web Site", values("requestLimits/maxUrl", "8192", "requestLimits/maxQueryString", "4096"), SettingsOwnership{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte(`<requestLimits maxUrl='8192' maxQueryString="4096" />`)) {
			t.Fatalf("values not written in place")
		}
		// maxQueryString is deleted by hand meanwhile: it is written again.
		out = edit(t, out, ` maxQueryString="4096"`, "")
		back, _, err := mustParse(t, out).ManageSettings("Default Web Site", map[Setting]*string{MaxURL: nil, MaxQueryString: nil}, own)
		if err != nil {
			t.Fatal(err)
		}
		restoredExactly(t, in, back)
	})
	cases := []struct {
		name string
		in   []byte
		want map[Setting]*string
		err  string
	}{
		{"not a boolean", asp, values("allowDoubleEscaping", "yes"), "allowDoubleEscaping must be true or false"},
		{"not a number", asp, values("requestLimits/maxUrl", "-1"), "maxUrl must be a whole number"},
		{"unknown setting", asp, values("requestLimits/maxHeaders", "1"), "unknown setting"},
		{"two requestFiltering elements", edit(t, asp, "<requestFiltering>", "<requestFiltering />\r\n            <requestFiltering>"), values("allowDoubleEscaping", "true"), "appears twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mustParse(t, tc.in).ManageSettings("", tc.want, SettingsOwnership{})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestScopeSettings(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	in := withLocation(t, asp, pkg, `<requestLimits maxUrl="8192" />`)
	cases := []struct {
		location string
		want     map[Setting]string
	}{
		{"", map[Setting]string{AllowUnlisted: "true"}},
		{pkg, map[Setting]string{MaxURL: "8192"}},
		{"Default Web Site", map[Setting]string{}},
	}
	for _, tc := range cases {
		got, err := mustParse(t, in).ScopeSettings(tc.location)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v, want %v", tc.location, got, tc.want)
		}
		for s, v := range tc.want {
			if got[s] != v {
				t.Errorf("%q: %s = %q, want %q", tc.location, s, got[s], v)
			}
		}
	}
	bad := withLocation(t, asp, pkg, `<requestLimits maxUrl="big" />`)
	if _, err := mustParse(t, bad).ScopeSettings(pkg); err == nil || !strings.Contains(err.Error(), "line 925") {
		t.Errorf("got %v, want an error naming line 925", err)
	}
}
