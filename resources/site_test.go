package resources

import (
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestCheckSite_nextStep: each way the site check fails gets its own next
// step, both name allow_missing_site, and allow_missing_site skips both.
func TestCheckSite_nextStep(t *testing.T) {
	d, err := apphost.Parse(testfixtures.AsDistributionPoint(t, testfixtures.Read(t, testfixtures.ASPNET)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		location string
		want     []string // nil: no error
	}{
		{"", nil},
		{"Default Web Site", nil},
		{"Default Web Site/SMS_DP_SMSPKG$/PKG00012", nil},
		{"Default Web Sit/SMS_DP_SMSPKG$", []string{
			`location = "Default Web Sit/SMS_DP_SMSPKG$": no site is named "Default Web Sit"`,
			"Check its spelling against IIS Manager's Sites; if another tool creates it later, set allow_missing_site = true",
		}},
		{"Default Web Site/SMS_DP_SMSPKG/PKG00012", []string{
			`location = "Default Web Site/SMS_DP_SMSPKG/PKG00012": site "Default Web Site" has no application or virtual directory named "/SMS_DP_SMSPKG" in <sites> (it has "/SMS_DP_SMSPKG$")`,
			`Check its spelling against the applications and virtual directories of "Default Web Site" in IIS Manager; for such a folder, or an application another tool creates later, set allow_missing_site = true`,
		}},
	}
	for _, c := range cases {
		t.Run(c.location, func(t *testing.T) {
			err := checkSite(d, c.location, false)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("got %q, want it to say %q", err, w)
				}
			}
			if err := checkSite(d, c.location, true); err != nil {
				t.Fatalf("allow_missing_site = true still refuses: %v", err)
			}
		})
	}
}
