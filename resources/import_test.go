package resources_test

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// lineOf is the 1-based line of the first occurrence of s in b.
func lineOf(t *testing.T, b []byte, s string) int {
	t.Helper()
	i := bytes.Index(b, []byte(s))
	if i < 0 {
		t.Fatalf("the fixture lacks %s", s)
	}
	return bytes.Count(b[:i], []byte("\n")) + 1
}

// TestAccImport_nothingToImport: importing a rule the resource cannot
// stand for (a hidden segment that is hidden, an extension with no entry)
// ends in a diagnostic that names the host, scope and line and says what
// to do instead, not Terraform's "Cannot import non-existent remote
// object"; the file is not touched.
func TestAccImport_nothingToImport(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("needs the ASP.NET fixture's App_Data entry")
	}
	orig := tg.Read(t)
	line := lineOf(t, orig, `<add segment="App_Data" />`)
	segment := func(scope string) *regexp.Regexp {
		return acctest.Phrases(
			fmt.Sprintf(`Cannot import hidden segment "App_Data" at %s of 127.0.0.1: it is hidden there`, scope),
			fmt.Sprintf(`C:\Windows\System32\inetsrv\config\applicationHost.config on 127.0.0.1: line %d hides "App_Data" at that scope (<add segment="App_Data" /> in the server scope)`, line),
			"HTTP 404.8",
			"An iis_request_filtering_hidden_segment resource stands for a segment that is allowed (not hidden), so a hidden segment has nothing to import.",
			`To allow "App_Data", remove the import (block or command) and keep the resource in the configuration`,
			"To keep it hidden, leave it out of the configuration")
	}
	cases := []struct {
		name, config, addr, id string
		want                   *regexp.Regexp
	}{
		{"hidden segment at the server scope", segmentConfig(tg, "App_Data", ""), segAddr, "App_Data", segment("the server scope")},
		{"hidden segment inherited by a location", segmentConfig(tg, "App_Data", "Default Web Site"), segAddr, "Default Web Site|App_Data", segment(`location "Default Web Site"`)},
		{"extension without an entry", extensionConfig(tg, ".tfacc", true, ""), addr, ".tfacc", acctest.Phrases(
			`Cannot import .tfacc at the server scope of 127.0.0.1: no entry for it is in effect there`,
			`applicationHost.config on 127.0.0.1 has no <add fileExtension=".tfacc"> in effect at that scope`,
			"remove the import (block or command) and keep the resource in the configuration: apply adds the entry")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config: c.config, ResourceName: c.addr, ImportState: true, ImportStateId: c.id, ExpectError: c.want,
				}},
			})
			if !bytes.Equal(tg.Read(t), orig) {
				t.Fatal("the file changed")
			}
		})
	}
}
