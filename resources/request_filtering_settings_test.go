package resources_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

const setAddr = "iis_request_filtering_settings.test"

// settingsConfig renders the resource with the given arguments (HCL lines).
func settingsConfig(tg acctest.Target, lines ...string) string {
	return tg.ProviderBlock() + "\nresource \"iis_request_filtering_settings\" \"test\" {\n  " + strings.Join(lines, "\n  ") + "\n}\n"
}

// TestAccSettings_server: the server scope of a DP with ASP.NET. Only the
// attribute bytes change; requestLimits is created and removed again.
func TestAccSettings_server(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.ASPNET)
	if !tg.Simulated() {
		t.Skip("asserts the fixture's lines; TestAccSettings_location covers a real DP")
	}
	orig := tg.Read(t)
	rfOld, rfNew := `            <requestFiltering>`, `            <requestFiltering allowDoubleEscaping="true">`
	step1 := settingsConfig(tg, `allow_double_escaping = true`, `file_extensions_allow_unlisted = true`, `request_limits = { max_url = 8192 }`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: step1,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setAddr, tfjsonpath.New("id"), knownvalue.StringExact("/")),
					statecheck.ExpectKnownValue(setAddr, tfjsonpath.New("allow_high_bit_characters"), knownvalue.Null()),
					statecheck.ExpectKnownValue(setAddr, tfjsonpath.New("request_limits"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"max_url": knownvalue.Int64Exact(8192), "max_query_string": knownvalue.Null(), "max_allowed_content_length": knownvalue.Null(),
					})),
				},
				Check: func(s *terraform.State) error {
					now := tg.Read(t)
					if !bytes.Contains(now, []byte(rfNew+"\r\n")) ||
						!bytes.Contains(now, []byte("                </hiddenSegments>\r\n                <requestLimits maxUrl=\"8192\" />\r\n            </requestFiltering>")) {
						return fmt.Errorf("the file does not have the settings")
					}
					// Nothing else changed: undo the two edits by hand.
					back := bytes.Replace(now, []byte(rfNew), []byte(rfOld), 1)
					back = bytes.Replace(back, []byte("                <requestLimits maxUrl=\"8192\" />\r\n"), nil, 1)
					if !bytes.Equal(acctest.WithoutRecord(t, back), orig) {
						return fmt.Errorf("more than the settings changed")
					}
					return nil
				},
			},
			{
				Config: step1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Turned off by hand: drift, an update back.
				PreConfig: func() {
					tg.Write(t, bytes.Replace(tg.Read(t), []byte(`allowDoubleEscaping="true"`), []byte(`allowDoubleEscaping="false"`), 1))
				},
				Config: step1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(setAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					if !bytes.Contains(tg.Read(t), []byte(rfNew)) {
						return fmt.Errorf("allowDoubleEscaping was not set back")
					}
					return nil
				},
			},
			{
				// A setting nobody manages is edited by hand: not drift.
				PreConfig: func() {
					tg.Write(t, bytes.Replace(tg.Read(t), []byte(`<verbs allowUnlisted="true"`), []byte(`<verbs allowUnlisted="false"`), 1))
				},
				Config: step1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Update: let go of allow_double_escaping (its attribute goes,
				// as it was absent before), change max_url, add max_query_string.
				PreConfig: func() {
					tg.Write(t, bytes.Replace(tg.Read(t), []byte(`<verbs allowUnlisted="false"`), []byte(`<verbs allowUnlisted="true"`), 1))
				},
				Config: settingsConfig(tg, `file_extensions_allow_unlisted = true`, `request_limits = {`, `  max_url          = 16384`, `  max_query_string = 4096`, `}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(setAddr, plancheck.ResourceActionUpdate)},
				},
				Check: acctest.FileChanged(t, tg, orig, nil, testfixtures.CRLF(`                <requestLimits maxUrl="16384" maxQueryString="4096" />`)),
			},
			{
				// Import manages what the scope writes itself: allowUnlisted,
				// maxUrl and maxQueryString here.
				ResourceName:      setAddr,
				ImportState:       true,
				ImportStateId:     "/",
				ImportStateVerify: true,
			},
		},
	})
}

// TestAccSettings_location: a location of its own (on any DP), created with
// the settings and removed again on destroy.
func TestAccSettings_location(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	const loc = "Default Web Site/tfacc-settings"
	config := settingsConfig(tg, fmt.Sprintf("location = %q\n  allow_missing_site = true", loc), `allow_double_escaping = true`, `request_limits = { max_allowed_content_length = 4294967295 }`)
	block := regexp.MustCompile(`(?s)\r?\n?[ \t]*<location path="Default Web Site/tfacc-settings">.*?</location>`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(setAddr, tfjsonpath.New("id"), knownvalue.StringExact(loc)),
				},
				Check: acctest.FileChanged(t, tg, orig, nil, testfixtures.CRLF(
					`    <location path="Default Web Site/tfacc-settings">`,
					`        <system.webServer>`,
					`            <security>`,
					`                <requestFiltering allowDoubleEscaping="true">`,
					`                    <requestLimits maxAllowedContentLength="4294967295" />`,
					`                </requestFiltering>`,
					`            </security>`,
					`        </system.webServer>`,
					`    </location>`)),
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The whole location is deleted by hand: IIS defaults apply
				// there again, and apply writes the settings back.
				PreConfig: func() { tg.Write(t, block.ReplaceAll(tg.Read(t), nil)) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(setAddr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					if n := len(block.FindAll(tg.Read(t), -1)); n != 1 {
						return fmt.Errorf("%d location blocks, want 1", n)
					}
					return nil
				},
			},
			{
				ResourceName:            setAddr,
				ImportState:             true,
				ImportStateId:           loc,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"allow_missing_site"}, // an argument, not in the file
			},
		},
	})
}

// TestAccSettings_adoptAndRestore: a value that was there before is
// adopted and put back on destroy, in a location with <clear/> entries.
func TestAccSettings_adoptAndRestore(t *testing.T) {
	if acctest.Real() {
		t.Skip("builds its own file: simulator only")
	}
	content := acctest.WithLocation(t, testfixtures.Read(t, testfixtures.ASPNET), acctest.PkgLocation,
		`<fileExtensions allowUnlisted="false">`, `    <clear />`, `    <add fileExtension=".cab" allowed="true" />`, `</fileExtensions>`, `<requestLimits maxUrl="2048" />`)
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, content)
	config := func(unlisted bool, maxURL int) string {
		return settingsConfig(tg, fmt.Sprintf("location = %q\n  allow_missing_site = true", acctest.PkgLocation), fmt.Sprintf("file_extensions_allow_unlisted = %t", unlisted), fmt.Sprintf("request_limits = { max_url = %d }", maxURL))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, content),
		Steps: []resource.TestStep{
			{
				Config: config(true, 8192),
				Check: acctest.FileChanged(t, tg, content,
					testfixtures.CRLF(`                    <fileExtensions allowUnlisted="false">`, `                        <clear />`, `                        <add fileExtension=".cab" allowed="true" />`, `                    </fileExtensions>`, `                    <requestLimits maxUrl="2048" />`),
					testfixtures.CRLF(`                    <fileExtensions allowUnlisted="true">`, `                        <clear />`, `                        <add fileExtension=".cab" allowed="true" />`, `                    </fileExtensions>`, `                    <requestLimits maxUrl="8192" />`)),
			},
			{
				Config: config(false, 2048),
				Check:  acctest.FileChanged(t, tg, content, nil, nil),
			},
			{
				Config: config(true, 8192),
			},
		},
	})
}

// TestAccSettings_badInput: nothing to manage, out-of-range limits and bad
// import IDs are refused before the host is touched.
func TestAccSettings_badInput(t *testing.T) {
	tg := acctest.NewTarget(t, testfixtures.Base)
	orig := tg.Read(t)
	steps := []resource.TestStep{
		{Config: settingsConfig(tg, `location = "Default Web Site"`), ExpectError: acctest.Phrase("Set at least one of allow_double_escaping"), PlanOnly: true},
		{Config: settingsConfig(tg, `request_limits = {}`), ExpectError: acctest.Phrase("the resource manages only the settings it sets"), PlanOnly: true},
		{Config: settingsConfig(tg, `request_limits = { max_url = -1 }`), ExpectError: acctest.Phrase("must be between 0 and 4294967295"), PlanOnly: true},
		{Config: settingsConfig(tg, `request_limits = { max_query_string = 4294967296 }`), ExpectError: acctest.Phrase("must be between 0 and 4294967295"), PlanOnly: true},
		{Config: settingsConfig(tg, `location = "/Default Web Site"`, `allow_double_escaping = true`), ExpectError: acctest.Phrase(`starts or ends with "/"`), PlanOnly: true},
		{
			Config: settingsConfig(tg, `allow_double_escaping = true`), ResourceName: setAddr, ImportState: true, ImportStateId: "a|b|c",
			ExpectError: acctest.Phrase(`"/" for the server scope`),
		},
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProviderFactories(), Steps: steps})
	if !bytes.Equal(tg.Read(t), orig) {
		t.Fatal("the file changed")
	}
}
