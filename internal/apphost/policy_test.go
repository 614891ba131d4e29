package apphost

import (
	"bytes"
	"slices"
	"testing"
)

// TestCutEntriesComeBackByteForByte: an exclusive policy cuts a scope's own
// entries it does not list (the last first) and puts them back (the first
// first) on destroy; the file must be the original, byte for byte, in
// every collection the policy manages, whatever was cut.
func TestCutEntriesComeBackByteForByte(t *testing.T) {
	orig := fixture(t, fixtureASPNET)
	for _, tc := range []struct {
		name string
		c    Collection
		op   string
		keep []string // listed: not cut
	}{
		{"all extensions but two", FileExtensions(), "add", []string{".config", ".mdb"}},
		{"every extension", FileExtensions(), "add", nil},
		{"hidden segments", HiddenSegments(), "add", []string{"bin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, orig)
			keys, err := d.ScopeEntries(tc.c, "", tc.op)
			if err != nil || len(keys) < 3 {
				t.Fatalf("keys %v, %v", keys, err)
			}
			var cuts []*Cut
			var cutKeys []string
			for i := len(keys) - 1; i >= 0; i-- {
				if slices.Contains(tc.keep, keys[i]) {
					continue
				}
				out, k, err := d.CutEntry(tc.c, "", tc.op, keys[i])
				if err != nil || k == nil {
					t.Fatalf("cut %s: %v", keys[i], err)
				}
				cuts, cutKeys = append(cuts, k), append(cutKeys, keys[i])
				d = mustParse(t, out)
			}
			left, _ := d.ScopeEntries(tc.c, "", tc.op)
			if len(left) != len(tc.keep) {
				t.Fatalf("left %v, want %v", left, tc.keep)
			}
			for i := len(cuts) - 1; i >= 0; i-- {
				key := cutKeys[i]
				out, err := d.UncutEntry(tc.c, *cuts[i], tc.op, key)
				if err != nil {
					t.Fatalf("uncut %s: %v", key, err)
				}
				d = mustParse(t, out)
			}
			if !bytes.Equal(d.Bytes(), orig) {
				t.Fatal("the entries did not come back byte for byte")
			}
		})
	}
}

// TestVerbsLikeExtensions: a verb rule is created, adopted and deleted with
// the extension rules' ownership: deleting what was created gives the
// original bytes back.
func TestVerbsLikeExtensions(t *testing.T) {
	orig := fixture(t, fixtureASPNET)
	for _, loc := range []string{"", "Default Web Site/SMS_DP_SMSPKG$"} {
		d := mustParse(t, orig)
		out, own, err := d.CreateAllowed(Verbs(), loc, "TRACE", false)
		if err != nil {
			t.Fatal(err)
		}
		d = mustParse(t, out)
		r, err := d.AllowedRule(Verbs(), loc, "trace")
		if err != nil || r == nil || r.Allowed || r.Extension != "TRACE" {
			t.Fatalf("%q: rule %+v, %v", loc, r, err)
		}
		if out, err = d.SetAllowed(Verbs(), loc, "TRACE", true); err != nil {
			t.Fatal(err)
		}
		d = mustParse(t, out)
		if out, err = d.DeleteAllowed(Verbs(), loc, "TRACE", own); err != nil || !bytes.Equal(out, orig) {
			t.Fatalf("%q: delete did not restore the bytes (%v)", loc, err)
		}
	}
}
