package provider_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman"
)

// authCase is one way of reaching a DP: how the simulated host is set up
// (like its winrm/config/service) and the provider attributes that reach it.
type authCase struct {
	name  string
	tls   bool
	auth  func(e *caseEnv) dpsim.Auth
	attrs func(e *caseEnv, a *acctest.AuthSim)
	// check runs after apply, with the simulator's counters: what went
	// over the wire.
	check func(t *testing.T, st wsman.Stats)
}

func negotiateOnly(*caseEnv) dpsim.Auth { return dpsim.Auth{Negotiate: true} }

// caseEnv is what a case's set-up shares: a KDC, started when first asked
// for (the test skips where the MIT KDC is not installed).
type caseEnv struct {
	t   *testing.T
	kdc *acctest.KDC
}

func (e *caseEnv) KDC() *acctest.KDC {
	if e.kdc == nil {
		e.kdc = acctest.StartKDC(e.t)
	}
	return e.kdc
}

// TestAccAuth_schemes applies a resource through every authentication the
// provider offers, each against a host that accepts only that scheme.
func TestAccAuth_schemes(t *testing.T) {
	if acctest.Real() {
		t.Skip("configures the simulated host's authentication")
	}
	ca, err := wsman.NewCA("tf-acc client CA")
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey, err := ca.IssueClient(acctest.SimUser + "@localhost")
	if err != nil {
		t.Fatal(err)
	}
	cases := []authCase{
		{
			name: "ntlm with message encryption over http",
			auth: negotiateOnly, // AllowUnencrypted=false, as a DP out of the box
			attrs: func(_ *caseEnv, a *acctest.AuthSim) {
				a.Credentials("ntlm")
			},
			check: allSealed,
		},
		{
			name: "ntlm over https",
			tls:  true,
			auth: negotiateOnly,
			attrs: func(_ *caseEnv, a *acctest.AuthSim) {
				a.Credentials("ntlm")
				a.Provider["tls_server_name"] = acctest.HCLString("localhost")
			},
			check: func(t *testing.T, st wsman.Stats) {
				if st.Unsealed == 0 || st.Sealed != 0 {
					t.Errorf("over TLS the bodies are not sealed: %d sealed, %d plain", st.Sealed, st.Unsealed)
				}
			},
		},
		{
			name: "basic over https",
			tls:  true,
			auth: func(*caseEnv) dpsim.Auth { return dpsim.Auth{Basic: true} },
			attrs: func(_ *caseEnv, a *acctest.AuthSim) {
				a.Credentials("basic")
			},
		},
		{
			name: "certificate over https",
			tls:  true,
			auth: func(*caseEnv) dpsim.Auth {
				return dpsim.Auth{CertMappings: []wsman.CertMapping{{Issuer: ca.Cert, Subject: acctest.SimUser + "@localhost", User: acctest.SimUser}}}
			},
			attrs: func(_ *caseEnv, a *acctest.AuthSim) {
				a.Provider["auth"] = acctest.HCLString("certificate")
				a.Provider["client_cert"] = acctest.HCLHeredoc(string(clientCert))
				a.Provider["client_key"] = acctest.HCLHeredoc(string(clientKey))
			},
		},
		{
			// The host is written as a user may type it (LocalHost): the
			// default SPN is the lower-case HTTP/localhost the KDC knows.
			name: "kerberos with message encryption over http",
			auth: func(e *caseEnv) dpsim.Auth {
				return dpsim.Auth{Kerberos: e.KDC().Service} // AllowUnencrypted=false
			},
			attrs: func(e *caseEnv, a *acctest.AuthSim) {
				a.Credentials("kerberos")
				a.Provider["host"] = acctest.HCLString("LocalHost")
				a.Provider["krb5_conf"] = acctest.HCLHeredoc(e.KDC().Krb5Conf)
			},
			check: func(t *testing.T, st wsman.Stats) {
				if st.Handshakes == 0 {
					t.Error("no Kerberos handshake")
				}
				allSealed(t, st)
			},
		},
		{
			name: "kerberos over https",
			tls:  true,
			auth: func(e *caseEnv) dpsim.Auth {
				return dpsim.Auth{Kerberos: e.KDC().Service}
			},
			attrs: func(e *caseEnv, a *acctest.AuthSim) {
				k := e.KDC()
				a.Credentials("kerberos")
				a.Provider["realm"] = acctest.HCLString(k.Realm)
				a.Provider["krb5_conf"] = acctest.HCLHeredoc(k.Krb5Conf)
				a.Provider["spn"] = acctest.HCLString(k.SPN)
			},
			check: func(t *testing.T, st wsman.Stats) {
				if st.Handshakes == 0 {
					t.Error("no Kerberos handshake")
				}
			},
		},
		{
			name: "kerberos over https to a host with CbtHardeningLevel Strict",
			tls:  true,
			auth: func(e *caseEnv) dpsim.Auth {
				return dpsim.Auth{Kerberos: e.KDC().Service, StrictChannelBinding: true}
			},
			attrs: func(e *caseEnv, a *acctest.AuthSim) {
				k := e.KDC()
				a.Credentials("kerberos")
				a.Provider["krb5_conf"] = acctest.HCLHeredoc(k.Krb5Conf)
				a.Provider["spn"] = acctest.HCLString(k.SPN)
			},
			check: func(t *testing.T, st wsman.Stats) {
				if st.Handshakes == 0 || st.AuthFailures != 0 {
					t.Errorf("want Kerberos logins bound to the TLS channel, none refused: %+v", st)
				}
			},
		},
		{
			name: "kerberos with a keytab over https",
			tls:  true,
			auth: func(e *caseEnv) dpsim.Auth {
				return dpsim.Auth{Kerberos: e.KDC().Service}
			},
			attrs: func(e *caseEnv, a *acctest.AuthSim) {
				k := e.KDC()
				a.Provider["auth"] = acctest.HCLString("kerberos")
				a.Provider["username"] = acctest.HCLString(acctest.SimUser + "@" + k.Realm)
				a.Provider["keytab"] = acctest.HCLString(k.UserKeytab)
				a.Provider["krb5_conf"] = acctest.HCLHeredoc(k.Krb5Conf)
				a.Provider["spn"] = acctest.HCLString(k.SPN)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &caseEnv{t: t}
			tg := acctest.NewAuthSim(t, testfixtures.ASPNET, acctest.AuthSimOptions{TLS: tc.tls, Auth: tc.auth(env), Logf: t.Logf})
			tc.attrs(env, tg)
			orig := tg.Read(t)
			denied := `                    <add fileExtension=".config" allowed="false" />`
			allowed := `                    <add fileExtension=".config" allowed="true" />`
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				CheckDestroy:             acctest.Restored(t, tg, orig),
				Steps: []resource.TestStep{{
					Config: acctest.ExtensionConfig(tg, ".config", true, ""),
					Check:  acctest.FileChanged(t, tg, orig, testfixtures.CRLF(denied), testfixtures.CRLF(allowed)),
				}},
			})
			st := tg.Sim.Stats()
			if st.AuthFailures > st.Handshakes+1 {
				t.Errorf("%d authentication failures for %d handshakes", st.AuthFailures, st.Handshakes)
			}
			if tc.check != nil {
				tc.check(t, st)
			}
			t.Logf("%s: %d exchanges, %d handshakes, %d sealed and %d plain messages", tc.name, st.Exchanges, st.Handshakes, st.Sealed, st.Unsealed)
		})
	}
}

// allSealed: over HTTP to a host with AllowUnencrypted=false, the host
// refused no plain body and unsealed and verified every message after the
// login, one sealed message per WS-Management action.
func allSealed(t *testing.T, st wsman.Stats) {
	t.Helper()
	if st.Sealed == 0 || st.Unsealed != 0 || st.RefusedUnencrypted != 0 || st.UnsealFailures != 0 {
		t.Errorf("want every message sealed: %d sealed, %d plain, %d refused, %d unseal failures",
			st.Sealed, st.Unsealed, st.RefusedUnencrypted, st.UnsealFailures)
	}
	if msgs := st.Create + st.Command + st.Send + st.Receive + st.Signal + st.Delete + st.OtherActions; st.Sealed != msgs {
		t.Errorf("%d sealed of %d messages: %+v", st.Sealed, msgs, st)
	}
}

// soapFault answers every request with a WS-Management fault, as a host
// does that refuses the user (AccessDenied).
func soapFault(subcode, reason string, code uint32) func(http.Handler) http.Handler {
	return func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">`+
				`<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault>`+
				`<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:%s</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason>`+
				`<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="%d" Machine="dp01"><f:Message>%s</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`,
				subcode, reason, code, reason)
		})
	}
}

// status answers every request with an HTTP status and an HTML page.
func status(code int) func(http.Handler) http.Handler {
	return func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body>%s</body></html>", http.StatusText(code))
		})
	}
}

// TestAccAuth_diagnostics drives each wrong setting, or each host that
// refuses, through the provider and the Terraform CLI, and checks that the
// diagnostic names host, port and auth, says what happened and the fix.
func TestAccAuth_diagnostics(t *testing.T) {
	if acctest.Real() {
		t.Skip("configures the simulated host's authentication")
	}
	type diagCase struct {
		name  string
		sim   acctest.AuthSimOptions
		attrs func(a *acctest.AuthSim)
		auth  string // in the diagnostic
		port  func(a *acctest.AuthSim) int
		want  []string // phrases, in order
	}
	domainDP := dpsim.Auth{Negotiate: true}
	basicTLS := acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}}
	cases := []diagCase{
		{
			name: "wrong password",
			sim:  acctest.AuthSimOptions{Auth: domainDP},
			attrs: func(a *acctest.AuthSim) {
				a.Credentials("ntlm")
				a.Provider["password"] = acctest.HCLString("not-the-password")
			},
			auth: "ntlm",
			want: []string{`the host rejected the credentials of "tf-acc": wrong password`, `Check username "tf-acc"`},
		},
		{
			name:  "basic not offered by the host",
			sim:   acctest.AuthSimOptions{TLS: true, Auth: domainDP},
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic") },
			auth:  "basic",
			want:  []string{"the host answered 401 Unauthorized; it offers: Negotiate", `Basic authentication is not enabled on the host: run winrm set winrm/config/service/auth @{Basic="true"}`},
		},
		{
			name:  "negotiate not offered by the host",
			sim:   acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}},
			attrs: func(a *acctest.AuthSim) { a.Credentials("ntlm") },
			auth:  "ntlm",
			want:  []string{"the host does not offer Negotiate (NTLM) authentication, so no credentials were sent (it offers: Basic)", `@{Negotiate="true"}`},
		},
		{
			name:  "certificate not trusted",
			sim:   basicTLS,
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic"); a.Provider["ca_cert"] = "" },
			auth:  "basic",
			want:  []string{`the host's certificate (subject "CN=localhost,O=wsman simulator"`, "is not signed by a trusted authority", "Set ca_cert"},
		},
		{
			name: "certificate for another name",
			sim:  basicTLS,
			attrs: func(a *acctest.AuthSim) {
				a.Credentials("basic")
				a.Provider["tls_server_name"] = acctest.HCLString("dp01.corp.example")
			},
			auth: "basic",
			want: []string{`the host's certificate is not valid for "dp01.corp.example"`, "set tls_server_name"},
		},
		{
			name:  "connection refused",
			sim:   acctest.AuthSimOptions{Auth: domainDP},
			attrs: func(a *acctest.AuthSim) { a.Credentials("ntlm") },
			auth:  "ntlm",
			port:  func(*acctest.AuthSim) int { return acctest.FreePort(t) },
			want:  []string{"refused", "Nothing listens on that port", "winrm quickconfig"},
		},
		{
			name: "host does not answer in time",
			sim: acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}, Faults: func() *dpsim.Faults {
				f := &dpsim.Faults{}
				f.Add(&dpsim.Rule{Action: "Create", Kind: dpsim.Hang})
				return f
			}()},
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic"); a.Provider["timeout"] = acctest.HCLString("2s") },
			auth:  "basic",
			want:  []string{"the command did not finish within the timeout of 2s", "Increase timeout"},
		},
		{
			name:  "HTTP status other than 200",
			sim:   acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}, Wrap: status(http.StatusServiceUnavailable)},
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic") },
			auth:  "basic",
			want:  []string{"the host answered HTTP 503 Service Unavailable", "Get-Service WinRM"},
		},
		{
			name: "shell quota exceeded",
			sim: acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}, Faults: func() *dpsim.Faults {
				f := &dpsim.Faults{}
				f.Add(&dpsim.Rule{Action: "Create", Kind: dpsim.Quota})
				return f
			}()},
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic") },
			auth:  "basic",
			want: []string{"a WinRM quota is exhausted", `The account "tf-acc" has all the shells it may open (MaxShellsPerUser, default 30) open on the host.`,
				"Most likely they are this provider's own", "IdleTimeout, 2 hours by default", "Restart-Service WinRM", `MaxShellsPerUser="50"`},
		},
		{
			name:  "access denied",
			sim:   acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true}, Wrap: soapFault("AccessDenied", "Access is denied.", 5)},
			attrs: func(a *acctest.AuthSim) { a.Credentials("basic") },
			auth:  "basic",
			want:  []string{"the account authenticated but lacks permission", "Remote Management Users"},
		},
		{
			name: "host refuses unencrypted messages",
			sim:  acctest.AuthSimOptions{Auth: dpsim.Auth{Basic: true}}, // AllowUnencrypted=false
			attrs: func(a *acctest.AuthSim) {
				a.Credentials("basic")
				a.Provider["allow_unencrypted"] = "true"
			},
			auth: "basic",
			want: []string{`Check username "tf-acc" and the password`,
				"If they are right: over plain HTTP a host also refuses Basic unless it allows unencrypted messages (AllowUnencrypted=false is the Windows default)", `auth = "ntlm"`},
		},
		{
			name: "wrong basic password over HTTP",
			sim:  acctest.AuthSimOptions{Auth: dpsim.Auth{Basic: true, AllowUnencrypted: true}},
			attrs: func(a *acctest.AuthSim) {
				a.Credentials("basic")
				a.Provider["allow_unencrypted"] = "true"
				a.Provider["password"] = acctest.HCLString("not-the-password")
			},
			auth: "basic",
			want: []string{"the host answered 401 Unauthorized", `Check username "tf-acc" and the password`, "If they are right: over plain HTTP"},
		},
		{
			name:  "client certificate not mapped",
			sim:   acctest.AuthSimOptions{TLS: true, Auth: dpsim.Auth{Basic: true, CertMappings: []wsman.CertMapping{{Issuer: mustCA(t).Cert, Subject: "*", User: "x"}}}},
			attrs: func(a *acctest.AuthSim) { certificateAttrs(t, a) },
			auth:  "certificate",
			want:  []string{"The host did not map the client certificate to a user", "certmapping"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := acctest.NewAuthSim(t, testfixtures.Base, tc.sim)
			tc.attrs(tg)
			port := tg.Sim.Addr.Port
			if tc.port != nil {
				port = tc.port(tg)
				tg.Provider["port"] = fmt.Sprint(port)
			}
			want := append([]string{fmt.Sprintf("on 127.0.0.1:%d (auth %q)", port, tc.auth)}, tc.want...)
			orig := tg.Read(t)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      acctest.ExtensionConfig(tg, ".tfacc", true, ""),
					ExpectError: acctest.Phrases(want...),
				}},
			})
			if !bytes.Equal(tg.Read(t), orig) {
				t.Error("the file changed")
			}
		})
	}
}

func mustCA(t *testing.T) *wsman.CA {
	ca, err := wsman.NewCA("tf-acc mapped CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// certificateAttrs authenticates with a certificate of a CA the host has
// no mapping for.
func certificateAttrs(t *testing.T, a *acctest.AuthSim) {
	cert, key, err := mustCA(t).IssueClient(acctest.SimUser + "@localhost")
	if err != nil {
		t.Fatal(err)
	}
	a.Provider["auth"] = acctest.HCLString("certificate")
	a.Provider["client_cert"] = acctest.HCLHeredoc(string(cert))
	a.Provider["client_key"] = acctest.HCLHeredoc(string(key))
}

// TestAccAuth_kerberosHostNotAuthenticated: a login answered with success
// but a forged AP-REP or an explicit SPNEGO reject is refused with a
// diagnostic naming the host, before anything is sent: the file is neither
// read nor written.
func TestAccAuth_kerberosHostNotAuthenticated(t *testing.T) {
	if acctest.Real() {
		t.Skip("configures the simulated host's authentication")
	}
	k := acctest.StartKDC(t)
	for _, tc := range []struct {
		name, reply, why string
	}{
		{"forged AP-REP", acctest.ForgedKerberosReply(t), "does not decrypt with the ticket's session key"},
		{"SPNEGO reject", acctest.RejectKerberosReply(t), "SPNEGO reject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := acctest.NewAuthSim(t, testfixtures.ASPNET, acctest.AuthSimOptions{Auth: dpsim.Auth{Kerberos: k.Service}, Wrap: acctest.ReplaceFinalReply(func() string { return tc.reply }), Logf: t.Logf})
			tg.Credentials("kerberos")
			tg.Provider["krb5_conf"] = acctest.HCLHeredoc(k.Krb5Conf)
			tg.Provider["spn"] = acctest.HCLString(k.SPN)
			orig := tg.Read(t)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config: acctest.ExtensionConfig(tg, ".config", true, ""),
					ExpectError: acctest.Phrases(fmt.Sprintf(`on 127.0.0.1:%d (auth "kerberos")`, tg.Sim.Addr.Port),
						"the host was not authenticated (Kerberos mutual authentication failed)", tc.why, "Nothing was sent to it"),
				}},
			})
			if st := tg.Sim.Stats(); st.Create != 0 || st.Sealed != 0 || st.Unsealed != 0 {
				t.Errorf("a message reached the host that did not authenticate: %+v", st)
			}
			if !bytes.Equal(tg.Read(t), orig) {
				t.Error("the file changed")
			}
		})
	}
}
