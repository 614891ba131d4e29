package wsman

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// createWithIdle opens a shell whose Create asks for idle ("" for none) and
// returns its id and the IdleTimeOut the reply grants.
func (f *fixture) createWithIdle(t *testing.T, idle string) (id, granted string) {
	t.Helper()
	body := winrm.NewOpenShellRequest(f.url(), nil).String()
	if idle != "" {
		body = strings.Replace(body, "<rsp:InputStreams>", "<rsp:IdleTimeOut>"+idle+"</rsp:IdleTimeOut><rsp:InputStreams>", 1)
	}
	res := f.post(t, testUser, testPass, soapCT, []byte(body))
	if res.Status != http.StatusOK {
		t.Fatalf("Create: HTTP %d: %s", res.Status, res.Body)
	}
	id, err := winrm.ParseOpenShellResponse(string(res.Body))
	if err != nil || id == "" {
		t.Fatalf("Create: no shell id (%v)", err)
	}
	_, rest, _ := bytes.Cut(res.Body, []byte("<rsp:IdleTimeOut>"))
	g, _, _ := bytes.Cut(rest, []byte("<"))
	return id, string(g)
}

// TestShellIdleTimeout: a shell no request addresses for the IdleTimeOut its
// Create asked for is deleted (later requests get the unknown-shell fault)
// and no longer counts against MaxShellsPerUser; a shell with a held
// Receive is not idle; a request beyond the service's maximum gets the
// maximum.
func TestShellIdleTimeout(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{MaxShellsPerUser: 3, MaxShellIdleTimeout: time.Hour})
	short, granted := f.createWithIdle(t, "PT0.3S")
	if granted != "PT0.300S" {
		t.Errorf("granted %q for PT0.3S", granted)
	}
	if _, granted := f.createWithIdle(t, "PT86400S"); granted != "PT3600.000S" {
		t.Errorf("granted %q for a day, want the service's hour", granted)
	}
	if _, granted := f.createWithIdle(t, ""); granted != "PT3600.000S" {
		t.Errorf("granted %q when none asked, want the service's hour", granted)
	}
	// The quota is full; a held Receive keeps a short-lived shell alive.
	busy, _ := func() (string, string) {
		f.soap(t, winrm.NewDeleteShellRequest(f.url(), short, nil))
		return f.createWithIdle(t, "PT0.3S")
	}()
	cmd := f.startCommand(t, busy, "block")
	res := f.soap(t, winrm.NewGetOutputRequest(f.url(), busy, cmd, "stdout stderr", params("PT0.6S")))
	if flt := parseFault(t, res.Body); flt.Subcode != "w:TimedOut" {
		t.Fatalf("held Receive: %+v", flt)
	}
	if res := f.soap(t, winrm.NewSignalRequest(f.url(), busy, cmd, nil)); res.Status != http.StatusOK {
		t.Fatalf("shell expired during a held Receive: HTTP %d: %s", res.Status, res.Body)
	}
	time.Sleep(400 * time.Millisecond)
	res = f.soap(t, winrm.NewExecuteCommandRequest(f.url(), busy, "exit 0", nil, nil))
	if flt := parseFault(t, res.Body); flt.Subcode != "w:InvalidSelectors" || !strings.Contains(string(res.Body), "shell was not found") {
		t.Errorf("Command to an expired shell: HTTP %d %+v", res.Status, flt)
	}
	if st := f.srv.Stats(); st.ShellsOpen != 2 || st.ShellsExpired != 1 {
		t.Errorf("open %d, expired %d; want 2 and 1", st.ShellsOpen, st.ShellsExpired)
	}
	f.createWithIdle(t, "") // the expired shell's slot is free again
	res = f.soap(t, winrm.NewOpenShellRequest(f.url(), nil))
	if flt := parseFault(t, res.Body); flt.Subcode != "w:QuotaLimit" {
		t.Errorf("a fourth shell beyond MaxShellsPerUser 3: HTTP %d %+v", res.Status, flt)
	}
}
