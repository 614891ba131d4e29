package winrmclient

import (
	"strings"
	"testing"
)

// TestErrorsLeadWithLikelyCause: the first advice after what happened is
// the most likely cause of what the host actually answered; less likely
// causes follow it, and advice that cannot apply is left out.
func TestErrorsLeadWithLikelyCause(t *testing.T) {
	basicHTTP := errorFactory{host: "dp01", port: 5985, auth: AuthBasic, username: "svc-tf", plainHTTP: true}
	basicHTTPS := errorFactory{host: "dp01", port: 5986, auth: AuthBasic, username: "svc-tf", https: true}
	ntlm := errorFactory{host: "dp01", port: 5985, auth: AuthNTLM, username: `CORP\svc-tf`}
	shells := &FaultError{Code: "Sender", Subcode: "QuotaLimit", WSManCode: 2150859173,
		Reason: "The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user."}
	users := &FaultError{Code: "Sender", Subcode: "QuotaLimit",
		Reason: "The Windows Remote Shell cannot process the request. The server exceeded the maximum number of users concurrently performing remote operations on the same system. Retry later."}
	cases := []struct {
		name  string
		err   *Error
		lead  string   // the first sentence of advice starts so
		then  []string // further advice, in this order
		never []string
	}{
		{"basic: wrong password over HTTP", basicHTTP.unauthorized("create shell", []string{"Negotiate", "Basic"}),
			`Check username "svc-tf" and the password`,
			[]string{"If they are right: over plain HTTP a host also refuses Basic unless it allows unencrypted messages", `AllowUnencrypted="true"`}, nil},
		{"basic: wrong password over HTTPS", basicHTTPS.unauthorized("create shell", []string{"Negotiate", "Basic"}),
			`Check username "svc-tf" and the password`, nil, []string{"AllowUnencrypted"}},
		{"basic: not enabled on the host", basicHTTP.unauthorized("create shell", []string{"Negotiate"}),
			"Basic authentication is not enabled on the host", []string{`Check username "svc-tf"`}, []string{"AllowUnencrypted"}},
		{"ntlm: credentials refused", ntlm.rejected("create shell"),
			`Check username "CORP\svc-tf"`, nil, []string{"AllowUnencrypted"}},
		{"shell quota", ntlm.fault("create shell", shells),
			`The account "CORP\svc-tf" has all the shells it may open (MaxShellsPerUser, default 30) open on the host. Most likely they are this provider's own`,
			[]string{"IdleTimeout, 2 hours by default", "Get-WSManInstance -ResourceURI shell -Enumerate", "Restart-Service WinRM", `MaxShellsPerUser="50"`},
			[]string{"close other WinRM sessions"}},
		{"concurrent users quota", ntlm.fault("create shell", users),
			"Too many accounts are running remote commands on the host at once (MaxConcurrentUsers)", []string{"MaxConcurrentUsers="}, []string{"MaxShellsPerUser"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := c.err.Error()
			head := c.err.Detail
			if c.err.Err != nil && !strings.Contains(head, c.err.Err.Error()) {
				head += ": " + strings.TrimRight(c.err.Err.Error(), ". ")
			}
			i := strings.Index(msg, strings.TrimRight(head, ". ")+". ")
			if i < 0 {
				t.Fatalf("message %q does not hold the detail %q", msg, head)
			}
			advice := msg[i+len(strings.TrimRight(head, ". "))+2:]
			if !strings.HasPrefix(advice, c.lead) {
				t.Errorf("advice does not lead with %q:\n%s", c.lead, advice)
			}
			rest := advice
			for _, w := range c.then {
				j := strings.Index(rest, w)
				if j < 0 {
					t.Errorf("%q missing or out of order in:\n%s", w, advice)
					break
				}
				rest = rest[j+len(w):]
			}
			for _, w := range c.never {
				if strings.Contains(msg, w) {
					t.Errorf("message holds %q, which cannot apply:\n%s", w, msg)
				}
			}
		})
	}
}
