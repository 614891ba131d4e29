package hostconfig

import (
	"os"
	"reflect"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// The write asks IIS to read the request filtering section at every
// location the batch changed, in appcmd's path form, and nowhere else.
func TestTouchedPaths(t *testing.T) {
	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	const pkg = "Default Web Site/SMS_DP_SMSPKG$"
	type step struct{ location, ext string }
	for _, tc := range []struct {
		name  string
		edits []step
		want  []string
	}{
		{"server level", []step{{"", ".config"}}, []string{remotefile.ServerPath}},
		{"one location", []step{{pkg, ".mdb"}}, []string{pkg}},
		{"server and two locations", []step{{"Default Web Site/b", ".x"}, {pkg, ".mdb"}, {"", ".config"}}, []string{remotefile.ServerPath, pkg, "Default Web Site/b"}},
		{"no change", nil, []string{remotefile.ServerPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := apphost.Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			after := before
			for _, e := range tc.edits {
				out, _, err := after.CreateFileExtension(e.location, e.ext, true)
				if err != nil {
					t.Fatal(err)
				}
				if after, err = apphost.Parse(out); err != nil {
					t.Fatal(err)
				}
			}
			if got := touchedPaths(before, after); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("touched %q, want %q", got, tc.want)
			}
		})
	}
}
