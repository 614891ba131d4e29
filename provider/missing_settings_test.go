package provider_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
)

// TestAccProvider_missingSettings: no host or credentials is a diagnostic
// saying what to set, not a crash.
func TestAccProvider_missingSettings(t *testing.T) {
	for _, k := range []string{"IIS_HOST", "IIS_USERNAME", "IIS_PASSWORD"} {
		t.Setenv(k, "")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: `
provider "iis" {
  auth = "basic"
  https = true
}
resource "iis_request_filtering_extension" "test" {
  extension = ".config"
  allowed   = true
}`,
				ExpectError: acctest.Phrase("the iis provider needs host (or IIS_HOST), username (or IIS_USERNAME), password (or IIS_PASSWORD) to reach the distribution point"),
			},
			{
				Config: `
provider "iis" {
  host     = "dp01"
  auth     = "basic"
  username = "u"
  password = "p"
}
resource "iis_request_filtering_extension" "test" {
  extension = ".config"
  allowed   = true
}`,
				ExpectError: acctest.Phrases("Basic authentication over plain HTTP is refused", "Use https = true (port 5986)"),
			},
		},
	})
}
