package apphost

import (
	"slices"
	"testing"
)

// The Checker answers exactly what Doc.Check answers, URL by URL, whatever
// <location> blocks apply (by case, by depth, down to one file), and its
// one-pass Examine answers what the separate calls do.
func TestCheckerMatchesCheck(t *testing.T) {
	b := fixture(t, fixtureASPNET)
	b = withLocation(t, b, "www/SMS_DP_SMSPKG$", `<fileExtensions><remove fileExtension=".mdb" /><add fileExtension=".mdb" allowed="true" /></fileExtensions>`)
	b = withLocation(t, b, "WWW/sms_dp_smspkg$/PKG00013.2/Data", `<hiddenSegments><add segment="Data" /></hiddenSegments>`)
	b = withLocation(t, b, "www/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/OSDResults.exe.config", `<fileExtensions><remove fileExtension=".config" /></fileExtensions>`)
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	c := d.NewChecker("www")
	for _, u := range []string{
		"/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/OSDResults.exe.config",
		"/SMS_DP_SMSPKG$/PKG00012.1/Tools/OSDResults/Other.exe.config",
		"/SMS_DP_SMSPKG$/PKG00013.2/Data/inventory.mdb",
		"/SMS_DP_SMSPKG$/PKG00013.2/inventory.mdb",
		"/NOCERT_SMS_DP_SMSPKG$/PKG00013.2/inventory.mdb",
		"/SMS_DP_SMSPKG$/Content_1.1/WebApp/bin/WebApp.dll",
		"/SMS_DP_SMSPKG$/PKG00014.1/Program%20Files+/Vendor/setup.msi",
		"/SMS_DP_SMSPKG$/PKG00016.1/setup.exe",
		"/SMS_DP_SMSPKG$/PKG00013.2/Data/App_Data/x.mdb",
		"/",
	} {
		want, err := d.Check("www", u)
		if err != nil {
			t.Fatal(err)
		}
		got, p, err := c.Check(u)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", u, got, want)
		}
		// Examine answers what Check, Outer and Blockers answer one by one.
		f, err := c.Examine(u)
		if err != nil {
			t.Fatal(err)
		}
		if f.Verdict != want {
			t.Errorf("Examine %s:\n got %+v\nwant %+v", u, f.Verdict, want)
		}
		outer, err := c.Outer(u)
		if err != nil {
			t.Fatal(err)
		}
		var exts, segs []string
		for _, q := range append(outer, p) {
			e, s := q.Blockers(u)
			if e != "" && !slices.Contains(exts, e) {
				exts = append(exts, e)
			}
			for _, g := range s {
				if !slices.Contains(segs, g) {
					segs = append(segs, g)
				}
			}
		}
		if !slices.Equal(f.Extensions, exts) || !slices.Equal(f.Segments, segs) {
			t.Errorf("Examine %s: needs %q %q, want %q %q", u, f.Extensions, f.Segments, exts, segs)
		}
	}
}

// Blockers names every rule in the way, not only the first.
func TestBlockers(t *testing.T) {
	d, err := Parse(fixture(t, fixtureASPNET))
	if err != nil {
		t.Fatal(err)
	}
	c := d.NewChecker("www")
	for _, tc := range []struct {
		url  string
		ext  string
		segs []string
	}{
		{"/SMS_DP_SMSPKG$/X.1/WebApp/web.config", ".config", []string{"web.config"}},
		{"/SMS_DP_SMSPKG$/X.1/bin/App_Data/a.mdb", ".mdb", []string{"bin", "App_Data"}},
		{"/SMS_DP_SMSPKG$/X.1/setup.exe", "", nil},
	} {
		p, err := c.Policy(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		ext, segs := p.Blockers(tc.url)
		if ext != tc.ext || !slices.Equal(segs, tc.segs) {
			t.Errorf("%s: %q %q, want %q %q", tc.url, ext, segs, tc.ext, tc.segs)
		}
	}
}

func TestVirtualDirectories(t *testing.T) {
	d, err := Parse(fixture(t, fixtureBase))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.VirtualDirectories("default web site"); !slices.Equal(got, nil) {
		t.Errorf("base install: %q", got)
	}
	if got := d.VirtualDirectories("nosuchsite"); got != nil {
		t.Errorf("unknown site: %q", got)
	}
	dp, err := Parse([]byte(`<configuration><system.applicationHost><sites>
<site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="C:\inetpub\wwwroot" />
<virtualDirectory path="/SMS_DP_SMSPKG$" physicalPath="D:\SMSPKG" /><virtualDirectory path="/NOCERT_SMS_DP_SMSPKG$" physicalPath="D:\SMSPKG" /></application>
<application path="/CCM_Incoming"><virtualDirectory path="/" physicalPath="C:\x" /></application></site>
<site name="Other" id="2"><application path="/"><virtualDirectory path="/SMS_DP_SMSSIG$" physicalPath="D:\SIG" /></application></site>
</sites></system.applicationHost></configuration>`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dp.VirtualDirectories("DEFAULT WEB SITE"), []string{"SMS_DP_SMSPKG$", "NOCERT_SMS_DP_SMSPKG$", "CCM_Incoming"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
