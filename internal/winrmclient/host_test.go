package winrmclient

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/wsman"
)

// serveHost serves srv on loopback until the test ends, through wrap when
// it is set, and over TLS with cert when cert is set (the caller makes the
// certificate first, so that its scheme can check channel bindings for it
// before any request arrives). It returns the server, its address and port.
func serveHost(t *testing.T, srv *wsman.Server, cert *tls.Certificate, wrap func(http.Handler) http.Handler) (ts *httptest.Server, host string, port int) {
	t.Helper()
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(h)
	}
	ts = httptest.NewUnstartedServer(h)
	ts.Config.ConnContext = srv.ConnContext
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cert != nil {
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(func() {
		srv.Close() // first: releases long-polls so that ts.Close does not wait on them
		ts.Close()
	})
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, err = strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return ts, u.Hostname(), port
}
