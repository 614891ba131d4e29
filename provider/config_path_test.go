package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestAccProvider_fileNamedAsUsed: a message names the file the way the
// host used it, once: config_path "%windir%\..." that the host cannot find
// is reported as the C:\Windows\... path it looked for, not as both.
func TestAccProvider_fileNamedAsUsed(t *testing.T) {
	if acctest.Real() {
		t.Skip("the simulator's Windows folder is C:\\Windows")
	}
	tg := acctest.NewSimTarget(t, testfixtures.Base, nil)
	config := acctest.WithProviderArgs(t, tg.ProviderBlock(), `config_path = "%windir%\\System32\\inetsrv\\config\\missing.config"`) + `
resource "iis_request_filtering_extension" "test" {
  extension = ".tfacc"
  allowed   = true
}
`
	want := regexp.MustCompile(`(?s)Cannot set \.tfacc at the server scope of 127\.0\.0\.1.*\bread C:\\Windows\\System32\\inetsrv\\config\\missing\.config\s+on\s+127\.0\.0\.1:\s+Could\s+not\s+find\s+file\s+'C:\\Windows\\System32\\inetsrv\\config\\missing\.config'`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps:                    []resource.TestStep{{Config: config, ExpectError: want}},
	})
}
