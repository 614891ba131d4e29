package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
)

// parseAuth turns -auth, -keytab and -allow-unencrypted into the service's
// authentication settings (winrm/config/service/auth). An empty list is
// Windows' default: Kerberos and Negotiate on, Basic, Certificate and
// CredSSP off (learn.microsoft.com, "Installation and configuration for
// Windows Remote Management", Service/Auth defaults); Kerberos needs a
// keytab here, so without -keytab the default is Negotiate alone, answered
// with NTLM as a workgroup or non-Kerberos client gets.
func parseAuth(list, keytabFile string, allowUnencrypted bool) (*dpsim.Auth, error) {
	a := &dpsim.Auth{AllowUnencrypted: allowUnencrypted}
	schemes := strings.Split(list, ",")
	if strings.TrimSpace(list) == "" {
		schemes = []string{"negotiate"}
		if keytabFile != "" {
			schemes = append(schemes, "kerberos")
		}
	}
	for _, s := range schemes {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "negotiate", "ntlm":
			a.Negotiate = true
		case "basic":
			a.Basic = true
		case "kerberos":
			if keytabFile == "" {
				return nil, errors.New("-auth kerberos needs -keytab: the keytab of HTTP/<host>@REALM")
			}
			kt, err := keytab.Load(keytabFile)
			if err != nil {
				return nil, fmt.Errorf("-keytab %s: %w", keytabFile, err)
			}
			a.Kerberos = kt
		default:
			return nil, fmt.Errorf("-auth %q: the schemes are negotiate, kerberos and basic, comma-separated", s)
		}
	}
	return a, nil
}

// describe names the schemes of a for the start-up line.
func describe(a *dpsim.Auth) string {
	var on []string
	if a.Negotiate {
		on = append(on, "negotiate")
	}
	if a.Kerberos != nil {
		on = append(on, "kerberos")
	}
	if a.Basic {
		on = append(on, "basic")
	}
	return fmt.Sprintf("%s, AllowUnencrypted=%t", strings.Join(on, "+"), a.AllowUnencrypted)
}
