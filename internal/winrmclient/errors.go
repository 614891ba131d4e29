package winrmclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Kind classifies a failure so callers can react (retry, re-prompt for
// credentials, point at the CA) without parsing messages.
type Kind int

// Kinds of failure.
const (
	KindProtocol     Kind = iota // the host's reply broke the WS-Management protocol
	KindAuth                     // 401: wrong credentials or scheme not enabled
	KindTLS                      // TLS handshake or certificate verification failed
	KindConnect                  // no TCP connection: refused, unreachable, name not found
	KindTimeout                  // a deadline passed (command timeout, or WS-Man TimedOut)
	KindHTTP                     // an HTTP status other than 200/401/500-with-fault
	KindFault                    // a SOAP fault not covered by a more specific kind
	KindQuota                    // w:QuotaLimit, usually MaxShellsPerUser
	KindAccessDenied             // w:AccessDenied: authenticated but not permitted
	KindCanceled                 // the caller canceled the context
)

func (k Kind) String() string {
	switch k {
	case KindProtocol:
		return "protocol error"
	case KindAuth:
		return "authentication failed"
	case KindTLS:
		return "TLS error"
	case KindConnect:
		return "connection failed"
	case KindTimeout:
		return "timeout"
	case KindHTTP:
		return "HTTP error"
	case KindFault:
		return "WS-Management fault"
	case KindQuota:
		return "quota exceeded"
	case KindAccessDenied:
		return "access denied"
	case KindCanceled:
		return "canceled"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is every failure RunPowerShell returns. Its message names the host,
// port and auth scheme, says what happened and what to do next. It never
// contains the password or an Authorization header value.
type Error struct {
	Kind   Kind
	Op     string // "create shell", "send input", "receive output", "run command", ...
	Host   string
	Port   int
	Auth   string
	Detail string // what happened
	Hint   string // the likely fix; may be empty
	Err    error  // underlying cause; may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "WinRM %s on %s (auth %q) during %s", e.Kind, net.JoinHostPort(e.Host, fmt.Sprint(e.Port)), e.Auth, e.Op)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil && (e.Detail == "" || !strings.Contains(e.Detail, e.Err.Error())) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		// Fault reasons end with their own period; avoid "..".
		msg := strings.TrimRight(b.String(), ". ")
		b.Reset()
		b.WriteString(msg)
		b.WriteString(". ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// FaultError is a SOAP fault returned by the WS-Management service.
type FaultError struct {
	Code      string // local part of s:Code/s:Value, e.g. "Sender", "Receiver"
	Subcode   string // local part of s:Subcode/s:Value, e.g. "QuotaLimit", "TimedOut"
	WSManCode uint32 // WSManFault Code attribute, e.g. 2150858793; 0 when absent
	Reason    string // s:Reason/s:Text
	Message   string // WSManFault/Message text when it adds to Reason
}

// WS-Management fault codes the client treats specially.
const (
	WSManCodeTimedOut     uint32 = 2150858793 // operation timeout: Receive long-poll ended without output
	WSManCodeShellUnknown uint32 = 2150858843 // invalid selectors: the shell is gone
	WSManCodeAccessDenied uint32 = 5          // ERROR_ACCESS_DENIED
)

func (f *FaultError) Error() string {
	var b strings.Builder
	b.WriteString("SOAP fault ")
	b.WriteString(f.Code)
	if f.Subcode != "" {
		b.WriteString("/")
		b.WriteString(f.Subcode)
	}
	if f.WSManCode != 0 {
		fmt.Fprintf(&b, " (WSManFault %d)", f.WSManCode)
	}
	if f.Reason != "" {
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	if f.Message != "" && f.Message != f.Reason {
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// TimedOut reports the WS-Management operation timeout, which on Receive is
// the normal end of a long-poll rather than a failure.
func (f *FaultError) TimedOut() bool {
	return f.Subcode == "TimedOut" || f.WSManCode == WSManCodeTimedOut
}

// errorFactory stamps errors with the endpoint identity.
type errorFactory struct {
	host     string
	port     int
	auth     string
	username string
	https    bool
	// plainHTTP: message bodies travel in clear (Basic or Kerberos over
	// HTTP with allow_unencrypted), which a default host refuses.
	plainHTTP bool
}

func (f errorFactory) new(kind Kind, op, detail, hint string, err error) *Error {
	return &Error{Kind: kind, Op: op, Host: f.host, Port: f.port, Auth: f.auth, Detail: detail, Hint: hint, Err: err}
}

func (f errorFactory) hostPort() string { return net.JoinHostPort(f.host, fmt.Sprint(f.port)) }

// fault turns a parsed SOAP fault into a typed error, which wraps the
// FaultError (receiveTimedOut looks for it).
func (f errorFactory) fault(op string, fe *FaultError) *Error {
	switch {
	case fe.TimedOut():
		return f.new(KindTimeout, op, "the WS-Management OperationTimeout expired before the host had a reply", "", fe)
	case fe.Subcode == "QuotaLimit":
		return f.new(KindQuota, op, "the host refused a new shell or process: a WinRM quota is exhausted", f.quotaHint(fe), fe)
	case fe.Subcode == "AccessDenied" || fe.WSManCode == WSManCodeAccessDenied:
		return f.new(KindAccessDenied, op, "the account authenticated but lacks permission", fmt.Sprintf(
			"Give \"%s\" permissions on the host: membership of the local Administrators or Remote Management Users group "+
				"(for a local non-built-in administrator over the network, UAC remote restrictions also apply: LocalAccountTokenFilterPolicy)", f.username), fe)
	case fe.Subcode == "InvalidSelectors" || fe.WSManCode == WSManCodeShellUnknown:
		return f.new(KindFault, op, "the host no longer knows the shell (it may have been closed or expired)", "Retry the operation", fe)
	}
	return f.new(KindFault, op, "the host answered with a fault", "", fe)
}

// quotaHint leads with the likely cause of the quota the fault names.
// Windows says which one was exceeded in the fault text ("This user is
// allowed a maximum number of 30 concurrent shells"; MS-WSMV 3.1.4.5.2.1
// gives the texts for MaxShellsPerUser and MaxConcurrentUsers). For the
// shell quota the provider's own shells are the likely cause: a run that
// was killed before it could delete them leaves them open until the host's
// idle timeout ends them (winrm/config/winrs IdleTimeout, 2 hours by
// default), and each such run may hold one per host. WinRM 2.0 lets users
// enumerate and delete their shells, and administrators any shell
// ("Remote Shell Infrastructure Improvements", learn.microsoft.com/windows/
// win32/winrm): Get-WSManInstance/Remove-WSManInstance do that.
func (f errorFactory) quotaHint(fe *FaultError) string {
	text := strings.ToLower(fe.Reason + " " + fe.Message)
	raise := "raise the quota on the host only if this account really needs more at once: winrm set winrm/config/winrs @{%s=\"%s\"}"
	switch {
	case strings.Contains(text, "shells"):
		return fmt.Sprintf("The account \"%s\" has all the shells it may open (MaxShellsPerUser, default 30) open on the host. "+
			"Most likely they are this provider's own, left by terraform runs that were killed or lost the connection before they could close them "+
			"(other WinRM clients of the same account count too). They close by themselves when the host's idle timeout ends them "+
			"(winrm/config/winrs IdleTimeout, 2 hours by default): wait, and run again; to close them now, list them on the host with "+
			"Get-WSManInstance -ResourceURI shell -Enumerate and remove them with Remove-WSManInstance, or restart the WinRM service "+
			"(Restart-Service WinRM, which ends every remote shell); "+raise,
			f.username, "MaxShellsPerUser", "50")
	case strings.Contains(text, "users"):
		return "Too many accounts are running remote commands on the host at once (MaxConcurrentUsers): run again when the others are done, or " +
			fmt.Sprintf(raise, "MaxConcurrentUsers", "20")
	case strings.Contains(text, "operations"):
		return fmt.Sprintf("The account \"%s\" has too many WinRM operations running on the host at once (MaxConcurrentOperationsPerUser, default 1500): "+
			"lower terraform's -parallelism or run again when other jobs of the account are done", f.username)
	}
	return fmt.Sprintf("The fault names the quota: for shells (MaxShellsPerUser, default 30), the likely cause is shells of \"%s\" left open by "+
		"terraform runs that were killed (they close after the host's idle timeout, 2 hours by default, or at once with Restart-Service WinRM on the host); "+
		"related quotas: MaxConcurrentUsers, MaxProcessesPerShell, MaxMemoryPerShellMB (winrm get winrm/config/winrs)", f.username)
}

// status explains an HTTP status other than 200, 401 and a 500 fault.
func (f errorFactory) status(op string, code int, contentType string) *Error {
	detail := fmt.Sprintf("the host answered HTTP %d %s", code, http.StatusText(code))
	if contentType != "" {
		detail += fmt.Sprintf(" (%s)", contentType)
	}
	var hint string
	switch {
	case code == http.StatusBadRequest:
		hint = "The host could not read the message: check that something other than WinRM is not answering on this port, and that https matches the listener"
	case code == http.StatusForbidden:
		hint = "The host or a proxy refuses this client: check the listener's IP filter (winrm get winrm/config/service, IPv4Filter/IPv6Filter) and any proxy (HTTP_PROXY/NO_PROXY)"
	case code == http.StatusNotFound:
		hint = fmt.Sprintf("No WS-Management listener at /wsman on port %d: check the port (5985 HTTP, 5986 HTTPS), the https setting, and winrm enumerate winrm/config/listener on the host", f.port)
	case code == http.StatusMethodNotAllowed:
		hint = "Something other than WinRM answers on this port (a web server?): check port and https"
	case code == http.StatusRequestEntityTooLarge:
		hint = "The message exceeds the host's MaxEnvelopeSizekb: winrm set winrm/config @{MaxEnvelopeSizekb=\"500\"}"
	case code == http.StatusUnsupportedMediaType:
		if f.https || f.auth != AuthBasic {
			hint = "The host did not accept the message format: check that the WinRM service answers on this port"
		} else {
			hint = "The host did not accept the message format: it may require encrypted messages (use https = true or auth = \"ntlm\")"
		}
	case code == http.StatusProxyAuthRequired:
		hint = "A proxy requires authentication: add the host to NO_PROXY"
	case code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
		hint = "A proxy or gateway between this machine and the host failed: add the host to NO_PROXY or check the network path"
	case code == http.StatusServiceUnavailable:
		hint = "The WinRM service is not available: check Get-Service WinRM on the host, or a proxy/load balancer in between"
	case code == http.StatusInternalServerError && f.plainHTTP && contentType == "":
		hint = fmt.Sprintf("The host most likely refuses unencrypted messages (AllowUnencrypted=false, the Windows default): with auth = %q the messages "+
			"travel in clear over HTTP. Use https = true (port 5986), or auth = \"ntlm\", which encrypts every message over HTTP; "+
			"only on a trusted network, allow them on the host: winrm set winrm/config/service @{AllowUnencrypted=\"true\"}", f.auth)
	case code >= 500:
		hint = "The WinRM service failed without a WS-Management fault: check the host's event log (Microsoft-Windows-WinRM/Operational)"
	}
	return f.new(KindHTTP, op, detail, hint, nil)
}

// unauthorized builds the 401 diagnostic from the schemes the host offered.
// The library would say "http response error: 401 - invalid content type".
func (f errorFactory) unauthorized(op string, offered []string) *Error {
	detail := "the host answered 401 Unauthorized"
	if len(offered) > 0 {
		detail += "; it offers: " + strings.Join(offered, ", ")
	} else if f.auth == AuthBasic {
		detail += "; it offered no authentication scheme"
	}
	var hints []string
	switch f.auth {
	case AuthBasic:
		// Most likely cause first. A host that does not offer Basic never
		// looked at the credentials. One that offers it answers 401 both to
		// wrong credentials and, over plain HTTP, to any Basic request while
		// AllowUnencrypted is false (winrm-facts: a 401 is all either gets),
		// and a wrong password is the commoner of the two.
		basicOff := len(offered) > 0 && !containsFold(offered, "Basic")
		if basicOff {
			hints = append(hints, "Basic authentication is not enabled on the host: run winrm set winrm/config/service/auth @{Basic=\"true\"} there, "+
				"or use auth = \"ntlm\" for a domain account")
		}
		hints = append(hints, fmt.Sprintf("Check username \"%s\" and the password; Basic works only with local accounts on the host, not domain accounts", f.username))
		if !f.https && !basicOff {
			hints = append(hints, "If they are right: over plain HTTP a host also refuses Basic unless it allows unencrypted messages (AllowUnencrypted=false is the Windows default): "+
				"use https = true (port 5986) or auth = \"ntlm\", or on a trusted network run winrm set winrm/config/service @{AllowUnencrypted=\"true\"} there")
		}
	case AuthCertificate:
		hints = append(hints, "The host did not map the client certificate to a user: enable certificate authentication "+
			"(winrm set winrm/config/service/auth @{Certificate=\"true\"}) and map the certificate's issuer and subject to a local account "+
			"(winrm create winrm/config/service/certmapping?Issuer=<CA thumbprint>+Subject=<user UPN>+URI=* ...); "+
			"the certificate needs the client authentication usage and the user's UPN in its subject alternative names")
	case AuthKerberos:
		if len(offered) > 0 && !containsFold(offered, "Negotiate") && !containsFold(offered, "Kerberos") {
			hints = append(hints, "Kerberos is not enabled on the host: run winrm set winrm/config/service/auth @{Kerberos=\"true\"} there")
		}
		hints = append(hints, "The host did not accept the Kerberos ticket: check that spn names the host's HTTP service principal (default HTTP/<host>), "+
			"that the host's keytab/computer account holds its key, and that the clocks agree within 5 minutes")
	default:
		if len(offered) > 0 && !containsFold(offered, "Negotiate") && !containsFold(offered, "NTLM") {
			hints = append(hints, "Negotiate (NTLM) is not enabled on the host: run winrm set winrm/config/service/auth @{Negotiate=\"true\"} there")
		}
		hints = append(hints, fmt.Sprintf("Check username \"%s\" (DOMAIN\\user or user@domain) and the password", f.username))
	}
	return f.new(KindAuth, op, detail, strings.Join(hints, ". "), nil)
}

// rejected is the host's 401 to the last leg of a handshake: the
// credentials themselves were refused.
func (f errorFactory) rejected(op string) *Error {
	if f.auth == AuthKerberos {
		return f.unauthorized(op, nil)
	}
	return f.new(KindAuth, op, fmt.Sprintf("the host rejected the credentials of \"%s\": wrong password, unknown user, or a disabled or locked account", f.username),
		fmt.Sprintf("Check username \"%s\" (DOMAIN\\user for a domain account, the bare name for a local one) and the password; "+
			"the account must be allowed to log on over the network", f.username), nil)
}

// handshakeStatus explains a status other than 401 or 200 during a
// handshake.
func (f errorFactory) handshakeStatus(op string, code int, contentType string) *Error {
	if code == http.StatusOK {
		return f.new(KindProtocol, op, "the host accepted the request without authentication",
			"Something other than a WinRM service answers on this port: check port and https", nil)
	}
	return f.status(op, code, contentType)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// offeredSchemes lists the scheme names of all WWW-Authenticate headers.
// Only the names: challenge data is not useful to a user.
func offeredSchemes(h http.Header) []string {
	var out []string
	for _, v := range h.Values("WWW-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			// A comma may also separate auth-params (realm="x", charset=...);
			// those contain '=' and are not scheme names.
			if name == "" || strings.Contains(name, "=") || containsFold(out, name) {
				continue
			}
			out = append(out, name)
		}
	}
	return out
}

// transportErr classifies an error from http.Client.Do (or the library's
// NTLM transport) into connection, TLS and timeout failures.
func (f errorFactory) transportErr(op string, ctx context.Context, err error) *Error {
	hp := f.hostPort()
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !errors.Is(ctxErr, context.DeadlineExceeded) {
			return f.new(KindCanceled, op, "the operation was canceled", "", ctxErr)
		}
		return f.new(KindTimeout, op, "the command timeout expired", "", ctxErr)
	}

	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &unknownCA):
		detail := "the host's certificate is not signed by a trusted authority"
		if c := unknownCA.Cert; c != nil {
			detail = fmt.Sprintf("the host's certificate (subject %q, issuer %q) is not signed by a trusted authority", c.Subject.String(), c.Issuer.String())
		}
		hint := "Set ca_cert to the PEM certificate of the CA that issued it (for a self-signed certificate, the certificate itself); " +
			"set tls_server_name if the certificate is issued to another name than host. " +
			"(insecure = true turns verification off: for testing only)"
		return f.new(KindTLS, op, detail, hint, nil)
	case errors.As(err, &hostErr):
		names := ""
		if c := hostErr.Certificate; c != nil {
			names = strings.Join(append(append([]string{}, c.DNSNames...), ipStrings(c.IPAddresses)...), ", ")
			if names == "" {
				names = c.Subject.CommonName
			}
		}
		return f.new(KindTLS, op, fmt.Sprintf("the host's certificate is not valid for %q (it names: %s)", hostErr.Host, names),
			"Connect with a name the certificate lists (host), or set tls_server_name to one of them", nil)
	case errors.As(err, &invalid):
		return f.new(KindTLS, op, "the host's certificate is not valid: "+invalid.Error(),
			"Renew or fix the WinRM HTTPS certificate on the host (expired certificates are the usual cause)", nil)
	case errors.As(err, &recordErr) || errors.Is(err, http.ErrSchemeMismatch):
		return f.new(KindTLS, op, "the port did not answer with TLS",
			fmt.Sprintf("Port %d seems to be a plain HTTP listener: use https = false, or the HTTPS port (5986)", f.port), nil)
	case errors.As(err, &dnsErr):
		return f.new(KindConnect, op, fmt.Sprintf("cannot resolve %q: %v", f.host, dnsErr.Err),
			"Check the host name, or use its IP address", nil)
	case errors.Is(err, syscall.ECONNREFUSED):
		return f.new(KindConnect, op, fmt.Sprintf("connection to %s refused", hp),
			"Nothing listens on that port: check that the WinRM service runs (winrm quickconfig), the port (5985 HTTP, 5986 HTTPS) and https", nil)
	case errors.As(err, &opErr) && opErr.Op == "dial" && isTimeout(err):
		return f.new(KindConnect, op, fmt.Sprintf("timed out connecting to %s", hp),
			"The host is down or a firewall drops the traffic: allow inbound TCP on the WinRM port (Windows Firewall rule \"Windows Remote Management\")", nil)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return f.new(KindConnect, op, fmt.Sprintf("cannot connect to %s: %v", hp, opErr.Err),
			"Check the host address, routing and firewall", nil)
	case isTimeout(err):
		return f.new(KindTimeout, op, "the host accepted the connection but did not answer in time",
			"The WinRM service may be overloaded or hung; check it on the host", nil)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		hint := "Check that https matches the listener on that port (5985 HTTP, 5986 HTTPS)"
		return f.new(KindConnect, op, fmt.Sprintf("the connection to %s was closed by the host", hp), hint, nil)
	}
	var tlsAlert tls.AlertError
	if errors.As(err, &tlsAlert) {
		return f.new(KindTLS, op, "the TLS handshake failed: "+tlsAlert.Error(), "Check that the host's listener supports TLS 1.2 or later", nil)
	}
	return f.new(KindConnect, op, "request failed", "", scrub(err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

// scrub keeps the message of an unclassified error but drops its chain: an
// unknown error type could print request details, and the typed errors that
// matter were classified above.
func scrub(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(err.Error())
}
