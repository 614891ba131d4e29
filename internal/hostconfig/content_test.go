package hostconfig

import (
	"context"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestListContentOncePerQuery: with the cache on, two listings of one DP
// with the same query (the module's report and its gate) scan the library
// once, and get the same answer; another query, or the naive mode, scans
// again.
func TestListContentOncePerQuery(t *testing.T) {
	for _, tc := range []struct {
		name          string
		opts          Options
		first, second remotefile.ContentQuery
		scans         int64
	}{
		{"same query", Optimized(), remotefile.ContentQuery{}, remotefile.ContentQuery{}, 1},
		{"same IDs in another order", Optimized(), remotefile.ContentQuery{IDs: []string{"PKG00012", "PKG00099"}}, remotefile.ContentQuery{IDs: []string{"PKG00099", "PKG00012"}}, 1},
		{"other IDs", Optimized(), remotefile.ContentQuery{}, remotefile.ContentQuery{IDs: []string{"PKG00012"}}, 2},
		{"naive mode", Options{}, remotefile.ContentQuery{}, remotefile.ContentQuery{}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
			h, err := dpsim.NewHostWith(file, dpsim.HostOptions{ContentLibrary: contentlib.Build(t, contentlib.OSDResults)})
			if err != nil {
				t.Fatal(err)
			}
			s := New(&remotefile.Client{Runner: &simRunner{host: h}, Host: "dp01", Gzip: tc.opts.Cache}, "dp01", winPath, tc.opts)
			a, err := s.ListContent(context.Background(), tc.first)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.ListContent(context.Background(), tc.second)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.ContentScans(); got != tc.scans {
				t.Fatalf("%d scans of the library for two listings; want %d", got, tc.scans)
			}
			if len(a.Contents) != 1 || len(b.Contents) != 1 || a.Contents[0].Name != "PKG00012.1" || b.Contents[0].Name != "PKG00012.1" {
				t.Fatalf("listings %+v and %+v; want PKG00012.1 in both", a.Contents, b.Contents)
			}
		})
	}
}
