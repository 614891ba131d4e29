package dpsim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman/ntlm"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// Options configure a simulated distribution point.
type Options struct {
	ConfigFile         string // the applicationHost.config to serve (edited in place)
	Listen             string // address, e.g. "127.0.0.1:0"
	Username, Password string // the Basic account WinRM accepts
	TLS                bool   // serve HTTPS with a generated self-signed certificate
	// Wrap, when set, wraps the WS-Management handler (outside Faults):
	// benchmarks use it to delay and count exchanges.
	Wrap func(http.Handler) http.Handler
	// Faults, when set, injects failures into exchanges; tests change its
	// rules while the simulator runs.
	Faults *Faults
	// Host varies the simulated host (validation, hooks).
	Host HostOptions
	Logf func(format string, args ...any)
	// Auth, when set, configures authentication like a Windows host's
	// winrm/config/service instead of the Basic-only default; Username and
	// Password are its account.
	Auth *Auth
}

// Auth mirrors winrm/config/service: its zero value is a host that accepts
// nothing. A domain-joined DP out of the box is Auth{Negotiate: true,
// Kerberos: keytab}: no Basic, no certificates, AllowUnencrypted=false.
type Auth struct {
	Basic     bool // Auth/Basic
	Negotiate bool // Auth/Negotiate, answered with NTLM
	// Kerberos, when set, accepts Kerberos (in Negotiate) for the service
	// keys in this keytab (HTTP/<host>@REALM).
	Kerberos *keytab.Keytab
	// CertMappings enable Auth/Certificate (over TLS) with these
	// certificate mappings (winrm/config/service/certmapping).
	CertMappings []wsman.CertMapping
	// StrictChannelBinding is CbtHardeningLevel=Strict: over HTTPS a
	// Kerberos login without channel bindings is refused (Relaxed, the
	// default, refuses only wrong ones).
	StrictChannelBinding bool
	// AllowUnencrypted accepts plain message bodies over HTTP.
	AllowUnencrypted bool
	// NTLMKeyLog receives the NTLM session keys (tests only: they prove
	// no key reaches a log).
	NTLMKeyLog io.Writer
}

// Sim is a running simulated distribution point.
type Sim struct {
	Host      *Host
	URL       string // http(s)://127.0.0.1:PORT/wsman
	Addr      *net.TCPAddr
	CACertPEM []byte // with TLS: the certificate to trust (it is its own CA)

	wsman *wsman.Server
	http  *http.Server
	done  chan error
}

// Start serves a simulated DP until Close.
func Start(opts Options) (*Sim, error) {
	hostOpts := opts.Host
	if opts.Faults != nil {
		after := hostOpts.AfterReplace
		hostOpts.AfterReplace = func() {
			opts.Faults.markReplaced()
			if after != nil {
				after()
			}
		}
	}
	host, err := NewHostWith(opts.ConfigFile, hostOpts)
	if err != nil {
		return nil, err
	}
	if opts.Username == "" || opts.Password == "" {
		return nil, errors.New("dpsim: a username and a password are required (WinRM never accepts anonymous requests)")
	}
	wopts := wsman.Options{
		Username: opts.Username,
		Password: opts.Password,
		Executor: executor{host},
		Logf:     opts.Logf,
	}
	var cert tls.Certificate
	var certPEM []byte
	if opts.TLS {
		if cert, certPEM, err = wsman.SelfSignedCertificate("localhost", listenIP(opts.Listen)); err != nil {
			return nil, err
		}
	}
	if a := opts.Auth; a != nil {
		wopts.RefuseUnencrypted = !a.AllowUnencrypted
		users := map[string]string{opts.Username: opts.Password}
		if a.Negotiate {
			nc := ntlm.Config{Users: users, ComputerName: "DP01", KeyLog: a.NTLMKeyLog}
			// A domain account (CORP\user) authenticates as user in CORP.
			if domain, name, ok := strings.Cut(opts.Username, `\`); ok {
				nc.Users, nc.DomainName = map[string]string{name: opts.Password}, domain
			}
			n := wsman.NewNTLMScheme(nc)
			if opts.TLS {
				n.CheckChannelBindings(cert.Leaf)
			}
			wopts.Schemes = append(wopts.Schemes, n)
		}
		if a.Kerberos != nil {
			k := wsman.NewKerberosScheme(a.Kerberos)
			if opts.TLS {
				k.CheckChannelBindings(cert.Leaf, a.StrictChannelBinding)
			}
			wopts.Schemes = append(wopts.Schemes, k)
		}
		if a.Basic {
			wopts.Schemes = append(wopts.Schemes, wsman.NewBasicScheme(users))
		}
		if len(a.CertMappings) > 0 {
			wopts.Schemes = append(wopts.Schemes, wsman.NewCertScheme(a.CertMappings...))
		}
		if len(wopts.Schemes) == 0 {
			wopts.Authenticator = wsman.NewBasicAuth(nil) // accepts nobody, offers Negotiate
		}
	}
	ws := wsman.NewServer(wopts)
	var h http.Handler = ws
	if opts.Faults != nil {
		h = opts.Faults.wrap(h)
	}
	if opts.Wrap != nil {
		h = opts.Wrap(h)
	}
	mux := http.NewServeMux()
	mux.Handle("/wsman", h)
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		ws.Close()
		return nil, err
	}
	addr, _ := ln.Addr().(*net.TCPAddr) // a "tcp" listener's address always is
	s := &Sim{Host: host, Addr: addr, wsman: ws, done: make(chan error, 1),
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, ConnContext: ws.ConnContext}}
	scheme := "http"
	if opts.TLS {
		s.CACertPEM = certPEM
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if opts.Auth != nil && len(opts.Auth.CertMappings) > 0 {
			// Ask for a client certificate without requiring one: the
			// certificate scheme decides, other schemes still work.
			tc.ClientAuth = tls.RequestClientCert
		}
		ln = tls.NewListener(ln, tc)
		scheme = "https"
	}
	s.URL = fmt.Sprintf("%s://%s/wsman", scheme, s.Addr.String())
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// listenIP is the address part of a listen address, for the certificate.
func listenIP(listen string) string {
	h, _, err := net.SplitHostPort(listen)
	if err != nil || h == "" || h == "0.0.0.0" || h == "::" {
		return "127.0.0.1"
	}
	return h
}

// Stats reports the WS-Management exchanges served so far.
func (s *Sim) Stats() wsman.Stats { return s.wsman.Stats() }

// Close stops the server and every command still running.
func (s *Sim) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.wsman.Close()
	err := s.http.Shutdown(ctx)
	if errors.Is(<-s.done, http.ErrServerClosed) {
		return err
	}
	return err
}

// executor runs what the WinRM client started: the provider's loader, with
// the script and its data read from stdin; anything else fails as an unknown
// program would.
type executor struct{ host *Host }

func (e executor) Execute(ctx context.Context, cmd wsman.Command, stdin io.Reader, stdout, stderr io.Writer) int {
	var in []byte
	if script, err := pscmd.Decode(cmd.CommandLine); err == nil && script == remotefile.Loader {
		// Stricter than Windows, where a console stdin fed by Send is
		// undocumented: the loader reads its input as a pipe
		// (WINRS_CONSOLEMODE_STDIN=FALSE, MS-WSMV 3.1.4.11).
		if !cmd.PipeStdin {
			fmt.Fprintf(stderr, "stdin was opened in console mode (WINRS_CONSOLEMODE_STDIN is not FALSE): the loader reads a pipe\r\n")
			return 1
		}
		b, err := io.ReadAll(stdin)
		if err != nil { // terminated before the client finished sending
			fmt.Fprintf(stderr, "stdin: %v\r\n", err)
			return 1
		}
		in = b
	}
	if ctx.Err() != nil {
		return 1
	}
	out, errOut, code := e.host.Run(cmd.CommandLine, in)
	_, _ = stdout.Write(out)
	_, _ = stderr.Write(errOut)
	return code
}
