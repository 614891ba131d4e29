package apphost

import (
	"errors"
	"strings"
	"testing"
)

const sitesDoc = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                    <virtualDirectory path="/SMS_DP_SMSPKG$" physicalPath="D:\SCCMContentLib" />
                </application>
                <application path="/CCM_Client" />
            </site>
            <site name="www" id="2">
                <application path="/" />
            </site>
        </sites>
    </system.applicationHost>
</configuration>
`

func TestCheckSite(t *testing.T) {
	d, err := Parse([]byte(sitesDoc))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		location string
		problem  string // "" when the location is fine
	}{
		{"", ""},
		{"Default Web Site", ""},
		{"default web site/sms_dp_smspkg$", ""},
		{"Default Web Site/SMS_DP_SMSPKG$/PKG00012", ""},
		{"Default Web Site/CCM_Client", ""},
		{"www", ""},
		{"Default Web Sit/SMS_DP_SMSPKG$", `no site is named "Default Web Sit" in <sites> (the sites are "Default Web Site", "www")`},
		{"Default Web Site/a folder on disk", ""}, // below the site, folders are on disk: not checked
		{"WWW/app", ""},
		{"wwww", `no site is named "wwww" in <sites> (the sites are "Default Web Site", "www")`},
	}
	for _, c := range cases {
		t.Run(c.location, func(t *testing.T) {
			err := d.CheckSite(c.location)
			var se *SiteError
			switch {
			case c.problem == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.problem != "" && (!errors.As(err, &se) || !strings.Contains(err.Error(), c.problem)):
				t.Fatalf("got %v, want %q", err, c.problem)
			}
		})
	}
}
