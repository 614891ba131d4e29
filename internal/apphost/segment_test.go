package apphost

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// roundTrip checks that an ownership record survives the resource's private
// state (JSON) unchanged.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func restoredExactly(t *testing.T, orig, back []byte) {
	t.Helper()
	if !bytes.Equal(back, orig) {
		r, a := testfixtures.LineDiff(orig, back)
		t.Fatalf("not restored byte for byte: removed %q added %q", r, a)
	}
}

// TestAllowSegmentOnFixtures: allowing a segment changes exactly the
// intended lines, and restoring gives back the original bytes.
func TestAllowSegmentOnFixtures(t *testing.T) {
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	cases := []struct {
		name, file, location, segment string
		removed, added                []string
		cut, wroteRemove              bool
	}{
		{name: "bin at the server scope: the entry goes", file: fixtureASPNET, segment: "bin",
			removed: testfixtures.CRLF(`                    <add segment="bin" />`), cut: true},
		{name: "case-insensitive", file: fixtureASPNET, segment: "BIN",
			removed: testfixtures.CRLF(`                    <add segment="bin" />`), cut: true},
		{name: "first entry", file: fixtureASPNET, segment: "web.config",
			removed: testfixtures.CRLF(`                    <add segment="web.config" />`), cut: true},
		{name: "last entry", file: fixtureASPNET, segment: "App_Browsers",
			removed: testfixtures.CRLF(`                    <add segment="App_Browsers" />`), cut: true},
		{name: "only entry: the collection stays open", file: fixtureBase, segment: "web.config",
			removed: testfixtures.CRLF(`                    <add segment="web.config" />`), cut: true},
		{name: "inherited in a new location: <remove>", file: fixtureASPNET, location: pkg, segment: "bin", wroteRemove: true,
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering>`,
				`                    <hiddenSegments>`,
				`                        <remove segment="bin" />`,
				`                    </hiddenSegments>`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`)},
		{name: "inherited in an existing location", file: fixtureBase, location: "Default Web Site", segment: "web.config", wroteRemove: true,
			added: testfixtures.CRLF(
				`            <security>`,
				`                <requestFiltering>`,
				`                    <hiddenSegments>`,
				`                        <remove segment="web.config" />`,
				`                    </hiddenSegments>`,
				`                </requestFiltering>`,
				`            </security>`)},
		{name: "not inherited in the location: nothing to write", file: fixtureBase, location: pkg, segment: "bin"},
		{name: "not hidden at the server: nothing to write", file: fixtureASPNET, segment: "Packages"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := fixture(t, tc.file)
			out, own, err := mustParse(t, orig).AllowSegment(tc.location, tc.segment)
			if err != nil {
				t.Fatal(err)
			}
			removed, added := testfixtures.LineDiff(orig, out)
			equalLines(t, "removed", removed, tc.removed)
			equalLines(t, "added", added, tc.added)
			if !own.Created || (own.Cut != nil) != tc.cut || own.WroteRemove != tc.wroteRemove {
				t.Errorf("ownership %+v", own)
			}
			if h, err := mustParse(t, out).HiddenSegment(tc.location, tc.segment); err != nil || h != nil {
				t.Fatalf("still hidden: %+v %v", h, err)
			}
			back, err := mustParse(t, out).RestoreSegment(tc.location, tc.segment, roundTrip(t, own))
			if err != nil {
				t.Fatal(err)
			}
			restoredExactly(t, orig, back)
		})
	}
}

// TestSegmentScopes: location scopes with their own entries, <remove>,
// <clear/> and <location path="">, built from the fixtures.
func TestSegmentScopes(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	// No space before "/>": closing it again must give back these bytes, not IIS's " />".
	selfClosing := withLocation(t, asp, pkg, `<hiddenSegments applyToWebDAV="true"/>`)
	cases := []struct {
		name, location, segment string
		in                      []byte
		removed, added          []string
		cut, wroteRemove        bool
	}{
		{name: "the location's own entry, not inherited: cut", in: withLocation(t, base, pkg, `<hiddenSegments>`, `    <add segment="packages" />`, `</hiddenSegments>`),
			location: pkg, segment: "packages", cut: true,
			removed: testfixtures.CRLF(`                        <add segment="packages" />`)},
		{name: "remove then add on one line: the add goes, the remove stays", in: withLocation(t, asp, pkg, `<hiddenSegments><remove segment="bin" /><add segment="bin" /></hiddenSegments>`),
			location: pkg, segment: "bin", cut: true,
			removed: testfixtures.CRLF(`                    <hiddenSegments><remove segment="bin" /><add segment="bin" /></hiddenSegments>`),
			added:   testfixtures.CRLF(`                    <hiddenSegments><remove segment="bin" /></hiddenSegments>`)},
		{name: `an entry of <location path="">: server scope`, in: withLocation(t, asp, "", `<hiddenSegments>`, `    <add segment="tfacc" />`, `</hiddenSegments>`),
			segment: "tfacc", cut: true,
			removed: testfixtures.CRLF(`                        <add segment="tfacc" />`)},
		{name: "self-closing collection in the location is opened and closed again", in: selfClosing,
			location: pkg, segment: "bin", wroteRemove: true,
			removed: testfixtures.CRLF(`                    <hiddenSegments applyToWebDAV="true"/>`),
			added: testfixtures.CRLF(`                    <hiddenSegments applyToWebDAV="true">`,
				`                        <remove segment="bin" />`,
				`                    </hiddenSegments>`)},
		{name: "cleared in the location: nothing to write", in: withLocation(t, asp, pkg, `<hiddenSegments><clear /></hiddenSegments>`),
			location: pkg, segment: "bin"},
		{name: "a parent location hides it: remove in the child", in: withLocation(t, base, "Default Web Site", `<hiddenSegments><add segment="bin" /></hiddenSegments>`),
			location: pkg, segment: "bin", wroteRemove: true,
			added: testfixtures.CRLF(
				`    <location path="Default Web Site/SMS_DP_SMSPKG$">`,
				`        <system.webServer>`,
				`            <security>`,
				`                <requestFiltering>`,
				`                    <hiddenSegments>`,
				`                        <remove segment="bin" />`,
				`                    </hiddenSegments>`,
				`                </requestFiltering>`,
				`            </security>`,
				`        </system.webServer>`,
				`    </location>`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, own, err := mustParse(t, tc.in).AllowSegment(tc.location, tc.segment)
			if err != nil {
				t.Fatal(err)
			}
			removed, added := testfixtures.LineDiff(tc.in, out)
			equalLines(t, "removed", removed, tc.removed)
			equalLines(t, "added", added, tc.added)
			if (own.Cut != nil) != tc.cut || own.WroteRemove != tc.wroteRemove {
				t.Errorf("ownership %+v", own)
			}
			if h, err := mustParse(t, out).HiddenSegment(tc.location, tc.segment); err != nil || h != nil {
				t.Fatalf("still hidden: %+v %v", h, err)
			}
			back, err := mustParse(t, out).RestoreSegment(tc.location, tc.segment, roundTrip(t, own))
			if err != nil {
				t.Fatal(err)
			}
			restoredExactly(t, tc.in, back)
		})
	}
}

func sortedLines(b []byte) []string {
	l := strings.SplitAfter(string(b), "\n")
	sort.Strings(l)
	return l
}

// TestSegmentCutsTogether: two segments allowed side by side (as two
// resources in one apply) come back byte for byte when their records agree
// on the place, and as the same lines in every order.
func TestSegmentCutsTogether(t *testing.T) {
	orig := fixture(t, fixtureASPNET)
	allow := func(b []byte, seg string) ([]byte, SegmentOwnership) {
		out, own, err := mustParse(t, b).AllowSegment("", seg)
		if err != nil {
			t.Fatal(err)
		}
		return out, own
	}
	restore := func(b []byte, seg string, own SegmentOwnership) []byte {
		out, err := mustParse(t, b).RestoreSegment("", seg, own)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name         string
		createFirst  string
		restoreFirst string
		exact        bool
	}{
		{"create bin, App_code; restore App_code, bin", "bin", "App_code", true},
		{"create App_code, bin; restore bin, App_code", "App_code", "bin", true},
		{"create bin, App_code; restore bin, App_code", "bin", "bin", false},
		{"create App_code, bin; restore App_code, bin", "App_code", "App_code", false},
		{"neighbours apart: web.config and App_Data", "web.config", "App_Data", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			segs := map[string]string{"bin": "App_code", "App_code": "bin", "web.config": "App_Data", "App_Data": "web.config"}
			first, second := tc.createFirst, segs[tc.createFirst]
			b, own1 := allow(orig, first)
			b, own2 := allow(b, second)
			owns := map[string]SegmentOwnership{first: own1, second: own2}
			r1, r2 := tc.restoreFirst, segs[tc.restoreFirst]
			b = restore(b, r1, owns[r1])
			b = restore(b, r2, owns[r2])
			if tc.exact {
				restoredExactly(t, orig, b)
			} else if strings.Join(sortedLines(b), "") != strings.Join(sortedLines(orig), "") {
				t.Fatal("the same lines must come back")
			}
		})
	}
}

func TestRestoreSegmentEdgeCases(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	const binLine = "                    <add segment=\"bin\" />\r\n"

	t.Run("hidden again by hand before destroy: nothing is added", func(t *testing.T) {
		out, own, _ := mustParse(t, asp).AllowSegment("", "bin")
		again := edit(t, out, "<add segment=\"App_Browsers\" />", "<add segment=\"App_Browsers\" />\r\n                    <add segment=\"Bin\" />")
		back, err := mustParse(t, again).RestoreSegment("", "bin", own)
		if err != nil || !bytes.Equal(back, again) {
			t.Fatalf("restore changed a file that hides the segment again (err %v)", err)
		}
	})
	t.Run("neighbours edited meanwhile: back after its neighbour", func(t *testing.T) {
		out, own, _ := mustParse(t, asp).AllowSegment("", "bin")
		out = edit(t, out, `<add segment="App_code" />`, `<add segment="App_Code" />`) // Next no longer matches exactly
		back, err := mustParse(t, out).RestoreSegment("", "bin", own)
		if err != nil {
			t.Fatal(err)
		}
		want := edit(t, asp, `<add segment="App_code" />`, `<add segment="App_Code" />`)
		restoredExactly(t, want, back)
	})
	t.Run("place gone: appended to the collection", func(t *testing.T) {
		out, own, _ := mustParse(t, asp).AllowSegment("", "bin")
		out = edit(t, out, "                    <add segment=\"web.config\" />\r\n", "")
		out = edit(t, out, "                    <add segment=\"App_code\" />\r\n", "")
		back, err := mustParse(t, out).RestoreSegment("", "bin", own)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(back, []byte("<add segment=\"App_Browsers\" />\r\n"+binLine+"                </hiddenSegments>")) {
			t.Fatalf("bin is not the last entry:\n%s", back[bytes.Index(back, []byte("<hiddenSegments")):bytes.Index(back, []byte("</hiddenSegments>"))])
		}
	})
	t.Run("collection gone: created again", func(t *testing.T) {
		out, own, _ := mustParse(t, base).AllowSegment("", "web.config")
		start := bytes.Index(out, []byte("                <hiddenSegments"))
		end := bytes.Index(out, []byte("</hiddenSegments>\r\n")) + len("</hiddenSegments>\r\n")
		out = append(append([]byte{}, out[:start]...), out[end:]...)
		back, err := mustParse(t, out).RestoreSegment("", "web.config", own)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := mustParse(t, back).HiddenSegment("", "web.config"); h == nil {
			t.Fatal("web.config is not hidden again")
		}
	})
	t.Run("drift then re-create in a location: destroy leaves no empty elements", func(t *testing.T) {
		out, _, _ := mustParse(t, asp).AllowSegment(pkg, "bin")
		out = edit(t, out, "\r\n                        <remove segment=\"bin\" />", "") // deleted by hand
		again, own, err := mustParse(t, out).AllowSegment(pkg, "bin")
		if err != nil || len(own.Made) != 0 || !own.WroteRemove {
			t.Fatalf("re-create: %+v %v", own, err)
		}
		back, err := mustParse(t, again).RestoreSegment(pkg, "bin", own)
		if err != nil {
			t.Fatal(err)
		}
		restoredExactly(t, asp, back)
	})
	t.Run("imported at a location: its <remove> goes", func(t *testing.T) {
		out, _, _ := mustParse(t, asp).AllowSegment(pkg, "bin")
		back, err := mustParse(t, out).RestoreSegment(pkg, "bin", SegmentOwnership{})
		if err != nil {
			t.Fatal(err)
		}
		restoredExactly(t, asp, back)
	})
	t.Run("imported at the server scope: nothing changes", func(t *testing.T) {
		out, _, _ := mustParse(t, asp).AllowSegment("", "bin")
		back, err := mustParse(t, out).RestoreSegment("", "bin", SegmentOwnership{})
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("changed (err %v)", err)
		}
	})
	t.Run("a file IIS rejects is refused", func(t *testing.T) {
		in := withLocation(t, asp, pkg, `<hiddenSegments><add segment="bin" /></hiddenSegments>`)
		_, _, err := mustParse(t, in).AllowSegment(pkg, "bin")
		if err == nil || !strings.Contains(err.Error(), "HTTP 500.19") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestSharedLocation: a hidden segment and settings resources in one
// location, created and destroyed in every order (group commit applies
// them in arrival order), give back the original bytes.
func TestSharedLocation(t *testing.T) {
	asp := fixture(t, fixtureASPNET)
	base := fixture(t, fixtureBase)
	type op struct {
		name string
		do   func(t *testing.T, b []byte, loc string, st *sharedState) []byte
	}
	allowSeg := func(t *testing.T, b []byte, loc string, st *sharedState) []byte {
		out, own, err := mustParse(t, b).AllowSegment(loc, "web.config")
		if err != nil {
			t.Fatal(err)
		}
		st.seg = own
		return out
	}
	hideSeg := func(t *testing.T, b []byte, loc string, st *sharedState) []byte {
		out, err := mustParse(t, b).RestoreSegment(loc, "web.config", st.seg)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	set := func(t *testing.T, b []byte, loc string, st *sharedState) []byte {
		out, own, err := mustParse(t, b).ManageSettings(loc, values("allowDoubleEscaping", "true", "requestLimits/maxUrl", "8192"), SettingsOwnership{})
		if err != nil {
			t.Fatal(err)
		}
		st.set = own
		return out
	}
	unset := func(t *testing.T, b []byte, loc string, st *sharedState) []byte {
		out, _, err := mustParse(t, b).ManageSettings(loc, map[Setting]*string{AllowDoubleEscaping: nil, MaxURL: nil}, st.set)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, file := range []struct {
		name     string
		in       []byte
		location string
	}{
		{"new location", asp, "Default Web Site/SMS_DP_SMSPKG$"},
		{"existing location with other sections", base, "Default Web Site"},
	} {
		for _, create := range [][2]op{{{"segment", allowSeg}, {"settings", set}}, {{"settings", set}, {"segment", allowSeg}}} {
			for _, destroy := range [][2]op{{{"segment", hideSeg}, {"settings", unset}}, {{"settings", unset}, {"segment", hideSeg}}} {
				name := file.name + ": create " + create[0].name + " first, destroy " + destroy[0].name + " first"
				t.Run(name, func(t *testing.T) {
					var st sharedState
					b := file.in
					for _, o := range append(create[:], destroy[:]...) {
						b = o.do(t, b, file.location, &st)
					}
					restoredExactly(t, file.in, b)
				})
			}
		}
	}
}

type sharedState struct {
	seg SegmentOwnership
	set SettingsOwnership
}
