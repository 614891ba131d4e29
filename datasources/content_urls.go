package datasources

import (
	"net/url"
	"strings"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// The IIS virtual directories a ConfigMgr DP serves package content from,
// all mapped onto the content library by ConfigMgr's own handler after
// request filtering has judged the URL:
//   - SMS_DP_SMSPKG$: the content URL clients download from (Windows
//     authentication or the network access account); the URLs in clients'
//     DataTransferService.log are http://<DP>/SMS_DP_SMSPKG$/<content>/...
//     (Patch My PC, "Configuration Manager content troubleshooting", which
//     quotes the log).
//   - CCMTOKENAUTH_SMS_DP_SMSPKG$: the same content for Enhanced HTTP
//     clients, which authenticate with a token ("Enhanced HTTP ...
//     establishes a new endpoint on the Distribution Point CCMTOKENAUTH
//     that uses token-based access", 1E, "Configuration Manager Enhanced
//     HTTP Support").
//   - NOCERT_SMS_DP_SMSPKG$: found on DPs beside the others; no public
//     source says which clients use it. It is checked when the site
//     declares it, because a client that uses it is refused by the policy
//     at its own location.
//
// SMS_DP_SMSSIG$ serves signature files, not package files (ConfigMgr 2007
// "About BITS-Enabled Distribution Points" lists it beside the package
// directories), so no content path is checked under it.
var contentVirtualDirectories = []string{"SMS_DP_SMSPKG$", "CCMTOKENAUTH_SMS_DP_SMSPKG$", "NOCERT_SMS_DP_SMSPKG$"}

// DefaultVirtualDirectory is checked when the site declares none of
// contentVirtualDirectories (a DP whose applicationHost.config is not yet a
// DP's, or the wrong site): it is the one every DP has.
const DefaultVirtualDirectory = "SMS_DP_SMSPKG$"

// dpVirtualDirectories returns the content virtual directories site
// declares, in contentVirtualDirectories' order.
func dpVirtualDirectories(doc *apphost.Doc, site string) []string {
	declared := map[string]bool{}
	for _, v := range doc.VirtualDirectories(site) {
		declared[strings.ToLower(v)] = true
	}
	var out []string
	for _, v := range contentVirtualDirectories {
		if declared[strings.ToLower(v)] {
			out = append(out, v)
		}
	}
	return out
}

// contentURL is the URL path a client requests for one file of a content
// folder under a virtual directory: /<vdir>/<ContentID>.<Version>/<path>,
// each segment percent-encoded as a path segment (RFC 3986 section 3.3;
// url.PathEscape). How exactly ConfigMgr's client and IIS's WebDAV listing
// escape names is not documented; this escaping leaves '+' literal, which
// is what makes "Program+Files" fail with 404.11 on real DPs, and escapes
// everything that is not unreserved otherwise, so its URLs are at least as
// long as a client's: a maxUrl verdict errs on the side of a warning.
func contentURL(vdir, content, rel string) string {
	var b strings.Builder
	b.Grow(len(vdir) + len(content) + len(rel) + 16)
	b.WriteByte('/')
	b.WriteString(vdir)
	b.WriteByte('/')
	b.WriteString(url.PathEscape(content))
	for seg := range strings.SplitSeq(rel, `\`) {
		if seg == "" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	return b.String()
}
