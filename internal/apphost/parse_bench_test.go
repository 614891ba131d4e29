package apphost

import (
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// BenchmarkParse is the cost of reading one real applicationHost.config,
// which every fetch and every edit pays.
func BenchmarkParse(b *testing.B) {
	src := testfixtures.Read(b, testfixtures.ASPNET)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreate is one resource's edit on a parsed document.
func BenchmarkCreate(b *testing.B) {
	d, err := Parse(testfixtures.Read(b, testfixtures.Base))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := d.CreateFileExtension("Default Web Site/SMS_DP_SMSPKG$", ".config", true); err != nil {
			b.Fatal(err)
		}
	}
}
