package apphost

import (
	"errors"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// sitesDoc has the shapes a DP's <sites> takes: the package shares as
// virtual directories of the root application, applications of their own
// (one with a virtual directory of its own, one nested two deep), a site
// without applications and one with its root only.
const sitesDoc = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                    <virtualDirectory path="/SMS_DP_SMSPKG$" physicalPath="D:\SCCMContentLib" />
                    <virtualDirectory path="/NOCERT_SMS_DP_SMSPKG$" physicalPath="D:\SCCMContentLib" />
                </application>
                <application path="/CCM_Client" />
                <application path="/a">
                    <virtualDirectory path="/" physicalPath="C:\a" />
                    <virtualDirectory path="/v" physicalPath="C:\v" />
                </application>
                <application path="/x/y">
                    <virtualDirectory path="/" physicalPath="C:\xy" />
                </application>
            </site>
            <site name="www" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="C:\www" />
                </application>
            </site>
            <site name="bare" id="3">
                <bindings>
                    <binding protocol="http" bindingInformation="*:8080:" />
                </bindings>
            </site>
        </sites>
    </system.applicationHost>
</configuration>
`

func TestCheckSite(t *testing.T) {
	docs := map[string]*Doc{
		"inline": mustParse(t, []byte(sitesDoc)),
		// The ASP.NET fixture ("www") with the DP's site added: "Default
		// Web Site" with the application /SMS_DP_SMSPKG$.
		"dp": mustParse(t, testfixtures.AsDistributionPoint(t, fixture(t, fixtureASPNET))),
		// A base install: "Default Web Site" with its root only.
		"base": mustParse(t, fixture(t, fixtureBase)),
	}
	const (
		inlineHas = `(it has "/SMS_DP_SMSPKG$", "/NOCERT_SMS_DP_SMSPKG$", "/CCM_Client", "/a", "/a/v", "/x/y")`
		noneBelow = `(it has none below its root)`
	)
	cases := []struct {
		doc, location string
		// problem is text the error must hold; "" when the location is
		// fine. site and below are the SiteError's fields for an
		// application that is missing.
		problem, site, below string
	}{
		// the server and a site
		{"inline", "", "", "", ""},
		{"inline", "Default Web Site", "", "", ""},
		{"inline", "www", "", "", ""},
		{"inline", "bare", "", "", ""},
		{"dp", "Default Web Site", "", "", ""},
		{"base", "Default Web Site", "", "", ""},
		// a site that is not there
		{"inline", "Default Web Sit/SMS_DP_SMSPKG$", `no site is named "Default Web Sit" in <sites> (the sites are "Default Web Site", "www", "bare")`, "", ""},
		{"inline", "wwww", `no site is named "wwww"`, "", ""},
		{"dp", "Default Web Sit", `no site is named "Default Web Sit" in <sites> (the sites are "www", "Default Web Site")`, "", ""},
		// site + virtual directory or application
		{"inline", "Default Web Site/SMS_DP_SMSPKG$", "", "", ""},
		{"inline", "Default Web Site/NOCERT_SMS_DP_SMSPKG$", "", "", ""},
		{"inline", "Default Web Site/CCM_Client", "", "", ""},
		{"dp", "Default Web Site/SMS_DP_SMSPKG$", "", "", ""},
		// site + virtual directory + folders on disk
		{"inline", "Default Web Site/SMS_DP_SMSPKG$/PKG00012", "", "", ""},
		{"inline", "Default Web Site/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults.exe.config", "", "", ""},
		{"dp", "Default Web Site/SMS_DP_SMSPKG$/PKG00012", "", "", ""},
		// nested applications and virtual directories: the first segment
		// of each full path counts; what is below it is not checked
		{"inline", "Default Web Site/a", "", "", ""},
		{"inline", "Default Web Site/a/v", "", "", ""},
		{"inline", "Default Web Site/a/a folder on disk", "", "", ""},
		{"inline", "Default Web Site/x", "", "", ""},
		{"inline", "Default Web Site/x/y/PKG00012", "", "", ""},
		{"inline", "Default Web Site/v", `site "Default Web Site" has no application or virtual directory named "/v" in <sites> ` + inlineHas, "Default Web Site", "v"},
		{"inline", "Default Web Site/y", `named "/y"`, "Default Web Site", "y"},
		// the typo the check is for: the package share without its "$"
		{"inline", "Default Web Site/SMS_DP_SMSPKG", `site "Default Web Site" has no application or virtual directory named "/SMS_DP_SMSPKG" in <sites> ` + inlineHas + `, so this location configures nothing IIS serves unless "SMS_DP_SMSPKG" is a physical folder under the site's root`, "Default Web Site", "SMS_DP_SMSPKG"},
		{"inline", "Default Web Site/SMS_DP_SMSPKG/PKG00012", `named "/SMS_DP_SMSPKG" in <sites>`, "Default Web Site", "SMS_DP_SMSPKG"},
		{"dp", "Default Web Site/SMS_DP_SMSPKG", `site "Default Web Site" has no application or virtual directory named "/SMS_DP_SMSPKG" in <sites> (it has "/SMS_DP_SMSPKG$")`, "Default Web Site", "SMS_DP_SMSPKG"},
		{"inline", "Default Web Site/SMS_DP_SMSPKG$X", `named "/SMS_DP_SMSPKG$X"`, "Default Web Site", "SMS_DP_SMSPKG$X"},
		{"inline", "Default Web Site/CCM", `named "/CCM"`, "Default Web Site", "CCM"},
		// case differences: IIS compares site names and URL paths
		// case-insensitively; the error spells the site as <sites> does
		{"inline", "default web site/sms_dp_smspkg$", "", "", ""},
		{"inline", "DEFAULT WEB SITE/Nocert_Sms_Dp_SmsPkg$/pkg00012", "", "", ""},
		{"inline", "Default Web Site/A/V", "", "", ""},
		{"inline", "WWW", "", "", ""},
		{"dp", "default web site/sms_dp_smspkg$/PKG00012", "", "", ""},
		{"inline", "default web site/sms_dp_smspkg", `site "Default Web Site" has no application or virtual directory named "/sms_dp_smspkg"`, "Default Web Site", "sms_dp_smspkg"},
		// a site without applications, or with its root only: the root
		// ("/") does not make every name valid
		{"inline", "bare/SMS_DP_SMSPKG$", `site "bare" has no application or virtual directory named "/SMS_DP_SMSPKG$" in <sites> ` + noneBelow, "bare", "SMS_DP_SMSPKG$"},
		{"inline", "www/app", `site "www" has no application or virtual directory named "/app" in <sites> ` + noneBelow, "www", "app"},
		{"base", "Default Web Site/SMS_DP_SMSPKG$", `site "Default Web Site" has no application or virtual directory named "/SMS_DP_SMSPKG$" in <sites> ` + noneBelow, "Default Web Site", "SMS_DP_SMSPKG$"},
		{"dp", "www/SMS_DP_SMSPKG$", `site "www" has no application or virtual directory named "/SMS_DP_SMSPKG$" in <sites> ` + noneBelow, "www", "SMS_DP_SMSPKG$"},
	}
	for _, c := range cases {
		t.Run(c.doc+"/"+c.location, func(t *testing.T) {
			err := docs[c.doc].CheckSite(c.location)
			if c.problem == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var se *SiteError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SiteError saying %q", err, c.problem)
			}
			if !strings.Contains(err.Error(), c.problem) {
				t.Fatalf("got %q, want it to say %q", err, c.problem)
			}
			if se.Site != c.site || se.Below != c.below {
				t.Fatalf("SiteError{Site: %q, Below: %q}, want {%q, %q}", se.Site, se.Below, c.site, c.below)
			}
		})
	}
}
