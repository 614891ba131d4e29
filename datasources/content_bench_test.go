package datasources

import (
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// BenchmarkCheckContent100k is the provider's own work on a DP with 100,000
// content files once the listing has arrived: every URL checked against
// ASP.NET's policy (tools/contentbench measures the whole read, WinRM and
// Terraform included). The contents are legacy packages, so each file is
// checked in both URL forms, as on a DP. `make bench` runs it.
func BenchmarkCheckContent100k(b *testing.B) {
	lib := libraryOf(contentlib.SyntheticContents(100_000, 500)...)
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
