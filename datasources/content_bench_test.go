package datasources

import (
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// BenchmarkCheckContent100k is the provider's own work on a DP with 100,000
// content files once the listing has arrived: every URL checked against
// ASP.NET's policy (tools/contentbench measures the whole read, WinRM and
// Terraform included). `make bench` runs it.
func BenchmarkCheckContent100k(b *testing.B) {
	contents := contentlib.SyntheticContents(100_000, 500)
	lib := &remotefile.ContentLibrary{Packages: map[string][]string{}}
	for _, c := range contents {
		lib.Contents = append(lib.Contents, remotefile.Content{Name: c.Name, Files: c.Files})
		lib.Packages[c.Name] = []string{c.Package}
	}
	doc, err := apphost.Parse(testfixtures.Read(b, testfixtures.ASPNET))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := scanContent(doc, DefaultSite, []string{DefaultVirtualDirectory}, lib)
		if err != nil {
			b.Fatal(err)
		}
		if s.files != 100_000 {
			b.Fatalf("%d files", s.files)
		}
	}
}
