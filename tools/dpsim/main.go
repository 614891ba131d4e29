// Command dpsim serves a simulated ConfigMgr distribution point: a WinRM
// (WS-Management) endpoint in front of one applicationHost.config on disk,
// which the iis provider can read and edit as it would on Windows.
//
//	go run ./tools/dpsim -listen 127.0.0.1:0 -config-file FILE -username U -password P [-tls]
//	    [-auth negotiate,kerberos,basic] [-keytab FILE] [-allow-unencrypted] [-fail NAME[@N],...]
//	    [-content-library DIR]
//
// Authentication is that of a Windows host out of the box unless -auth
// says otherwise: Negotiate (NTLM, with message encryption over HTTP) and
// Kerberos (with -keytab), no Basic, AllowUnencrypted=false. The first line
// on stdout is the endpoint URL (http://127.0.0.1:PORT/wsman); it serves
// until killed. The file is edited in place: serve a copy.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:5985", "address to listen on (port 0 picks a free one)")
	file := flag.String("config-file", "", "applicationHost.config to serve; edited in place (required)")
	user := flag.String("username", "", `the account WinRM accepts, "user" or "DOMAIN\user" (required)`)
	pass := flag.String("password", "", "password of that user (required)")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a generated self-signed certificate")
	caOut := flag.String("ca-cert-out", "", "with -tls: write the certificate to trust (PEM) to this file")
	authList := flag.String("auth", "", "authentication schemes the service accepts, comma-separated: negotiate, kerberos, basic (default: Windows' own, negotiate and kerberos)")
	keytabFile := flag.String("keytab", "", "with kerberos: the keytab of the service principal HTTP/<host>@REALM")
	allowUnencrypted := flag.Bool("allow-unencrypted", false, "accept Basic credentials and plain message bodies over HTTP (winrm/config/service AllowUnencrypted; false on Windows)")
	verbose := flag.Bool("v", false, "log every exchange to stderr")
	// The content library (issue 17): a folder laid out as SCCMContentLib,
	// reported in the simulated registry as ContentLibraryPath.
	contentLib := flag.String("content-library", "", "folder laid out as a DP's SCCMContentLib (PkgLib, DataLib with <file>.INI entries), reported at HKLM\\SOFTWARE\\Microsoft\\SMS\\DP ContentLibraryPath as "+dpsim.DefaultContentLibrary)
	failSpec := flag.String("fail", "", "inject modelled Windows failures: NAME, NAME@N (only at the Nth occurrence), comma-separated; \"help\" lists the names")
	flag.Parse()
	failures, done := parseFail(*failSpec, os.Stdout)
	if done {
		return
	}
	if *file == "" || *user == "" || *pass == "" {
		fmt.Fprintln(os.Stderr, "dpsim: -config-file, -username and -password are required")
		flag.Usage()
		os.Exit(2)
	}
	auth, err := parseAuth(*authList, *keytabFile, *allowUnencrypted)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dpsim: %v\n", err)
		os.Exit(2)
	}
	opts := dpsim.Options{ConfigFile: *file, Listen: *listen, Username: *user, Password: *pass, TLS: *useTLS, Auth: auth}
	opts.Host.Failures = failures
	opts.Host.ContentLibrary = *contentLib
	if *verbose {
		opts.Logf = log.New(os.Stderr, "dpsim: ", log.LstdFlags|log.Lmicroseconds).Printf
	}
	sim, err := dpsim.Start(opts)
	if err != nil {
		log.Fatalf("dpsim: %v", err)
	}
	if *caOut != "" && sim.CACertPEM != nil {
		if err := os.WriteFile(*caOut, sim.CACertPEM, 0o644); err != nil {
			log.Fatalf("dpsim: %v", err)
		}
	}
	fmt.Println(sim.URL)
	fmt.Fprintf(os.Stderr, "dpsim: serving %s as C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config at %s (auth %s)\n",
		sim.Host.ConfigFile(), sim.URL, describe(auth))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = sim.Close()
}

// parseFail reads -fail: "help" prints the failure names, one per line, and
// asks main to stop (done); anything else becomes the host's injections.
func parseFail(spec string, out io.Writer) (f *dpsim.Failures, done bool) {
	if spec == "help" {
		for _, n := range dpsim.FailureNames() {
			fmt.Fprintln(out, n)
		}
		return nil, true
	}
	injs, err := dpsim.ParseInjections(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dpsim: -fail: %v\n", err)
		os.Exit(2)
	}
	if len(injs) == 0 {
		return nil, false
	}
	if f, err = dpsim.NewFailures(injs...); err != nil {
		fmt.Fprintf(os.Stderr, "dpsim: -fail: %v\n", err)
		os.Exit(2)
	}
	return f, false
}
