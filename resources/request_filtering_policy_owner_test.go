package resources

import (
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestPolicyWantText: two spellings of one policy want the same, so that
// they share a scope instead of conflicting; the text reads like the
// resource's arguments.
func TestPolicyWantText(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		name string
		w    policyWanted
		want string
	}{
		{"empty", policyWanted{}, `{}`},
		{"case and duplicates", policyWanted{exts: map[string]bool{".CONFIG": true, ".mdb": false}, segs: []string{"BIN", "bin", "App_Data"}},
			`{"file_extensions":{".config":true,".mdb":false},"allowed_hidden_segments":["app_data","bin"]}`},
		{"verbs keep their case", policyWanted{verbs: map[string]bool{"TRACE": false}, webdav: &yes, exclusive: true},
			`{"verbs":{"TRACE":false},"apply_to_webdav":true,"exclusive":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wantText(tc.w).String(); got != tc.want {
				t.Fatalf("wantText = %s, want %s", got, tc.want)
			}
			back, err := parseWant("", tc.want)
			if err != nil || wantText(back).String() != tc.want {
				t.Fatalf("parseWant(%s) = %+v, %v: does not round-trip", tc.want, back, err)
			}
		})
	}
}

// TestPolicyHolds: the record's check of a policy against the file agrees
// with what its apply writes: a value the file has holds, one it does not
// (another value, an unlisted entry of an exclusive policy) does not, and
// after the apply the policy's own value holds.
func TestPolicyHolds(t *testing.T) {
	d, err := apphost.Parse(testfixtures.Read(t, testfixtures.ASPNET))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		w     policyWanted
		holds bool
	}{
		{"the fixture denies .config", policyWanted{exts: map[string]bool{".config": false}}, true},
		{"in any case", policyWanted{exts: map[string]bool{".CONFIG": false}}, true},
		{"not allowed yet", policyWanted{exts: map[string]bool{".config": true}}, false},
		{"absent", policyWanted{exts: map[string]bool{".tfown": true}}, false},
		{"bin is hidden", policyWanted{segs: []string{"bin"}}, false},
		{"exclusive, with the fixture's other entries", policyWanted{exts: map[string]bool{".config": false}, exclusive: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := policyEntry(types.StringNull(), tc.w)
			if got := m.holds(d, m.want); got != tc.holds {
				t.Fatalf("holds(%s) = %t, want %t (the file has %s)", m.want, got, tc.holds, m.current(d))
			}
			out, _, err := applyPolicy(d, tc.w, policyRecord{})
			if err != nil {
				t.Fatal(err)
			}
			after, err := apphost.Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if !m.holds(after, m.want) {
				t.Fatalf("after its apply the policy does not hold %s: the file has %s", m.want, m.current(after))
			}
		})
	}
}

// TestPolicyCovers: which single-entry resources a policy overlaps.
func TestPolicyCovers(t *testing.T) {
	w := policyWanted{exts: map[string]bool{".Config": true}, segs: []string{"bin"}}
	for _, tc := range []struct {
		kind, key string
		exclusive bool
		want      bool
	}{
		{extensionTypeName, ".CONFIG", false, true},
		{extensionTypeName, ".mdb", false, false},
		{extensionTypeName, ".mdb", true, true},
		{segmentTypeName, "BIN", false, true},
		{segmentTypeName, "App_Data", false, false},
		{segmentTypeName, "App_Data", true, true},
		{"iis_request_filtering_settings", "", true, false},
	} {
		w.exclusive = tc.exclusive
		if got := w.covers(tc.kind, tc.key); got != tc.want {
			t.Errorf("covers(%s %q, exclusive=%t) = %t, want %t", tc.kind, tc.key, tc.exclusive, got, tc.want)
		}
	}
}

// TestHoldsOncePerValue: the record's check of an entry's owners against
// the file works a value out once, however many owners share it and
// however often Claim asks, and still answers each value on its own.
func TestHoldsOncePerValue(t *testing.T) {
	d, err := apphost.Parse(testfixtures.Read(t, testfixtures.ASPNET))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	m := managed{kind: extensionTypeName, location: "", key: ".config", current: func(*apphost.Doc) string { return "allowed=false" },
		holds: func(_ *apphost.Doc, want string) bool { calls[want]++; return want == "allowed=false" }}
	s := m.subject(d)
	for range 3 {
		if !s.Holds("allowed=false") || s.Holds("allowed=true") {
			t.Fatal("holdsIn answers another value than holds")
		}
	}
	if calls["allowed=false"] != 1 || calls["allowed=true"] != 1 {
		t.Fatalf("holds ran %v times per value, want once each", calls)
	}
}
