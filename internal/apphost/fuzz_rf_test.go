package apphost

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// emptyChainOnPath reports whether a <location> for loc, or an element
// along the request filtering path in it, already configures nothing: tidy
// may then take it away, and the bytes need not come back exactly.
func emptyChainOnPath(d *Doc, loc string) bool {
	if loc == "" {
		return false
	}
	for _, l := range d.scopeRoots(loc) {
		if emptyTree(l) {
			return true
		}
		e := l
		for _, name := range []string{"system.webServer", "security", "requestFiltering", "hiddenSegments", "fileExtensions", "requestLimits"} {
			kids := e.SelectElements(name)
			if len(kids) != 1 {
				if name == "hiddenSegments" || name == "fileExtensions" {
					continue // siblings below requestFiltering
				}
				break
			}
			if emptyTree(kids[0]) {
				return true
			}
			if name == "system.webServer" || name == "security" || name == "requestFiltering" {
				e = kids[0]
			}
		}
	}
	return false
}

// FuzzRequestFilteringEdits drives the hidden segment and settings edits
// with arbitrary files, locations, segments and values. Invariants: no
// panic; an accepted edit parses, keeps IIS's rules when the input did,
// does what it says (the segment is not hidden, the settings read back),
// and undoing it gives back the input byte for byte (or, where the input
// already had elements that configure nothing on the way, the same
// meaning).
func FuzzRequestFilteringEdits(f *testing.F) {
	asp := section(f, testfixtures.Read(f, testfixtures.ASPNET))
	base := section(f, testfixtures.Read(f, testfixtures.Base))
	small := []byte("<configuration>\n <system.webServer><security><requestFiltering allowDoubleEscaping='True'>\n  <hiddenSegments><add segment=\"bin\"/><clear/><add segment=\"x\"/></hiddenSegments>\n </requestFiltering></security></system.webServer>\n <location path=\"S\"><system.webServer/></location>\n <location path=\"\"><system.webServer><security><requestFiltering><hiddenSegments><add segment=\"y\" /></hiddenSegments></requestFiltering></security></system.webServer></location>\n</configuration>\n")
	for _, seed := range []struct {
		doc      []byte
		loc, seg string
	}{
		{asp, "", "bin"}, {asp, "Default Web Site/SMS_DP_SMSPKG$", "BIN"}, {asp, "Default Web Site", "App_Data"},
		{base, "", "web.config"}, {base, "Default Web Site", "web.config"}, {base, "Default Web Site/x", "bin"},
		{small, "", "x"}, {small, "S", "x"}, {small, "S/T", "y"}, {small, "", "y"},
		{[]byte("<configuration/>"), "A", "b"},
	} {
		f.Add(seed.doc, seed.loc, seed.seg, uint32(8192), uint8(0b1011))
	}
	f.Fuzz(func(t *testing.T, doc []byte, loc, seg string, limit uint32, flags uint8) {
		d, err := Parse(doc)
		if err != nil {
			return
		}
		validBefore := Validate(doc) == nil && sameLocationUnique(d, loc)
		exact := !emptyChainOnPath(d, loc)

		// Hidden segment: allow, then restore.
		if before, err := d.HiddenSegment(loc, seg); err == nil {
			out, own, err := d.AllowSegment(loc, seg)
			if err == nil {
				nd, err := Parse(out)
				if err != nil {
					t.Fatalf("allow produced a file that does not parse: %v", err)
				}
				if validBefore {
					if err := Validate(out); err != nil {
						t.Fatalf("allow broke IIS's rules: %v", err)
					}
				}
				if h, err := nd.HiddenSegment(loc, seg); err != nil || h != nil {
					t.Fatalf("after allow the segment is hidden by %+v (%v)", h, err)
				}
				back, err := nd.RestoreSegment(loc, seg, own)
				if err != nil {
					t.Fatalf("restore: %v", err)
				}
				bd, err := Parse(back)
				if err != nil {
					t.Fatalf("restore produced a file that does not parse: %v", err)
				}
				if after, err := bd.HiddenSegment(loc, seg); err != nil || (after == nil) != (before == nil) {
					t.Fatalf("restore: hidden %v, was %v (%v)", after != nil, before != nil, err)
				}
				if exact && !bytes.Equal(back, doc) {
					r, a := testfixtures.LineDiff(doc, back)
					t.Fatalf("restore did not give back the bytes: removed %q added %q", r, a)
				}
			}
		}

		// Settings: write some, then release them all.
		want := map[Setting]*string{}
		for i, s := range Settings() {
			if flags&(1<<i) == 0 {
				continue
			}
			v := strconv.FormatBool(flags&(1<<7) != 0)
			if s.Numeric() {
				v = strconv.FormatUint(uint64(limit), 10)
			}
			want[s] = &v
		}
		if _, err := d.Effective(loc); err != nil || len(want) == 0 {
			return
		}
		out, own, err := d.ManageSettings(loc, want, SettingsOwnership{})
		if err != nil {
			return
		}
		nd, err := Parse(out)
		if err != nil {
			t.Fatalf("settings produced a file that does not parse: %v", err)
		}
		if validBefore {
			if err := Validate(out); err != nil {
				t.Fatalf("settings broke IIS's rules: %v", err)
			}
		}
		got, err := nd.ScopeSettings(loc)
		if err != nil {
			t.Fatalf("settings read back: %v", err)
		}
		for s, v := range want {
			if !s.sameValue(got[s], *v) {
				t.Fatalf("%s reads %q, want %q", s, got[s], *v)
			}
		}
		release := map[Setting]*string{}
		for s := range want {
			release[s] = nil
		}
		back, own, err := nd.ManageSettings(loc, release, own)
		if err != nil {
			t.Fatalf("release: %v", err)
		}
		if len(own.Previous) != 0 {
			t.Fatalf("release left records %v", own.Previous)
		}
		if exact && !bytes.Equal(back, doc) {
			r, a := testfixtures.LineDiff(doc, back)
			t.Fatalf("release did not give back the bytes: removed %q added %q", r, a)
		}
	})
}
