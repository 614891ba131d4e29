package winrmclient

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
)

// A minimal fake WS-Management host: enough of Create, Command, Send,
// Receive, Signal and Delete to drive the library through one command, with
// hooks to inject failures. Reply bodies follow recorded Windows replies.

const (
	testUser = `DP01\svc-iis`
	testPass = "Tr0ub4dor&3-never-print-me"
)

type fakeShell struct {
	stdin    bytes.Buffer
	ended    chan struct{}
	script   string
	receives int
	// owed: the last command's output ended and its Signal terminate, which
	// MS-WSMV requires before the shell's next command, has not come.
	owed bool
}

// hookFunc may answer a request itself (returning true); n counts requests
// of that action so far, this one included.
type hookFunc func(w http.ResponseWriter, r *http.Request, action string, n int) bool

type fakeHost struct {
	t *testing.T

	mu     sync.Mutex
	counts map[string]int
	order  []string // actions in arrival order
	// locales counts, per action, messages carrying a locale header.
	locales map[string]int
	shells  map[string]*fakeShell
	nextID  int

	// What a successful command prints. stdout/stderr chunks are spread
	// over two Receive replies: the first half, then the rest with Done.
	stdout   []string
	stderr   []string
	exitCode int
	hook     hookFunc
}

func newFakeHost(t *testing.T) *fakeHost {
	return &fakeHost{t: t, counts: map[string]int{}, shells: map[string]*fakeShell{}, locales: map[string]int{}}
}

func (f *fakeHost) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[action]
}

// actions returns the actions received so far, in order.
func (f *fakeHost) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.order...)
}

func (f *fakeHost) shell(id string) *fakeShell {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shells[id]
}

// short names an action URI: ".../shell/Receive" -> "Receive".
func short(action string) string { return action[strings.LastIndex(action, "/")+1:] }

var shellIDRe = regexp.MustCompile(`Name="ShellId">([^<]+)<`)

func (f *fakeHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	action := short(requestAction(string(body)))
	f.mu.Lock()
	f.counts[action]++
	n := f.counts[action]
	f.order = append(f.order, action)
	if bytes.Contains(body, []byte(`<w:Locale `)) || bytes.Contains(body, []byte(`DataLocale`)) {
		f.locales[action]++
	}
	f.mu.Unlock()

	if f.hook != nil && f.hook(w, r, action, n) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
		unauthorized(w, true)
		return
	}
	var sh *fakeShell
	if m := shellIDRe.FindSubmatch(body); m != nil {
		sh = f.shell(string(m[1]))
	}
	if action != "Create" && sh == nil {
		writeSOAP(w, 500, faultEnvelope("s:Sender", "w:InvalidSelectors", "The shell was not found.", 2150858843))
		return
	}

	switch action {
	case "Create":
		f.mu.Lock()
		f.nextID++
		id := fmt.Sprintf("SHELL-%04d", f.nextID)
		f.shells[id] = &fakeShell{ended: make(chan struct{})}
		f.mu.Unlock()
		writeSOAP(w, 200, createEnvelope(id))
	case "Command":
		f.mu.Lock()
		owed := sh.owed
		if !owed { // a new command: fresh input and output
			sh.stdin.Reset()
			sh.ended = make(chan struct{})
			sh.receives = 0
		}
		f.mu.Unlock()
		if owed {
			writeSOAP(w, 500, faultEnvelope("s:Sender", "w:InvalidParameter", "The previous command was not terminated with a Signal.", 87))
			return
		}
		m := regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`).FindSubmatch(body)
		if m == nil {
			f.t.Errorf("Command without CDATA command line: %s", body)
		} else if script, err := pscmd.Decode(string(m[1])); err != nil {
			f.t.Errorf("command line is not from pscmd.Encode: %v", err)
		} else {
			f.mu.Lock()
			sh.script = script
			f.mu.Unlock()
		}
		writeSOAP(w, 200, envelope(actionCommandResponse, `<rsp:CommandResponse><rsp:CommandId>CMD-1</rsp:CommandId></rsp:CommandResponse>`))
	case "Send":
		data, end := parseSend(f.t, body)
		f.mu.Lock()
		sh.stdin.Write(data)
		f.mu.Unlock()
		if end {
			close(sh.ended)
		}
		writeSOAP(w, 200, envelope(nsShell+"/SendResponse", `<rsp:SendResponse/>`))
	case "Receive":
		f.mu.Lock()
		sh.receives++
		k := sh.receives
		f.mu.Unlock()
		// Like powershell reading [Console]::In.ReadToEnd(): no output
		// before the input ends. Hold the poll like a real host.
		select {
		case <-sh.ended:
		case <-time.After(3 * time.Second):
			writeSOAP(w, 500, timedOutFault)
			return
		case <-r.Context().Done():
			return
		}
		half := len(f.stdout) / 2
		halfErr := len(f.stderr) / 2
		if k == 1 {
			writeSOAP(w, 200, receiveEnvelope(f.stdout[:half], f.stderr[:halfErr], false, 0))
		} else {
			f.mu.Lock()
			sh.owed = true
			f.mu.Unlock()
			writeSOAP(w, 200, receiveEnvelope(f.stdout[half:], f.stderr[halfErr:], true, f.exitCode))
		}
	case "Signal":
		f.mu.Lock()
		sh.owed = false
		f.mu.Unlock()
		writeSOAP(w, 200, envelope(nsShell+"/SignalResponse", `<rsp:SignalResponse/>`))
	case "Delete":
		writeSOAP(w, 200, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", ""))
	default:
		f.t.Errorf("unexpected action %q", action)
		w.WriteHeader(400)
	}
}

// parseSend returns the decoded stdin bytes and the End flag of a Send.
func parseSend(t *testing.T, body []byte) ([]byte, bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Errorf("Send without stdin stream: %v", err)
			return nil, false
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != nsShell || se.Name.Local != "Stream" {
			continue
		}
		var s struct {
			End  string `xml:"End,attr"`
			Data string `xml:",chardata"`
		}
		if err := d.DecodeElement(&s, &se); err != nil {
			t.Errorf("bad Stream: %v", err)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Data))
		if err != nil {
			t.Errorf("bad base64 in Send: %v", err)
		}
		return data, s.End == "true"
	}
}

func writeSOAP(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// unauthorized answers like IIS/HTTP.sys for WinRM: no body, no content type.
func unauthorized(w http.ResponseWriter, basic bool) {
	w.Header().Add("WWW-Authenticate", "Negotiate")
	if basic {
		w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

const envelopeOpen = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">`

func envelope(action, body string) string {
	return envelopeOpen + `<s:Header><a:Action>` + action + `</a:Action><a:MessageID>uuid:0A1B2C3D-0000-0000-0000-000000000001</a:MessageID>` +
		`<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

func createEnvelope(shellID string) string {
	return envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
		`<x:ResourceCreated><a:Address>http://dp01:5985/wsman</a:Address><a:ReferenceParameters>`+
			`<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>`+
			`<w:SelectorSet><w:Selector Name="ShellId">`+shellID+`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`)
}

func receiveEnvelope(stdout, stderr []string, done bool, exit int) string {
	var b strings.Builder
	b.WriteString(`<rsp:ReceiveResponse>`)
	for _, s := range stdout {
		fmt.Fprintf(&b, `<rsp:Stream Name="stdout" CommandId="CMD-1">%s</rsp:Stream>`, base64.StdEncoding.EncodeToString([]byte(s)))
	}
	for _, s := range stderr {
		fmt.Fprintf(&b, `<rsp:Stream Name="stderr" CommandId="CMD-1">%s</rsp:Stream>`, base64.StdEncoding.EncodeToString([]byte(s)))
	}
	if done {
		fmt.Fprintf(&b, `<rsp:CommandState CommandId="CMD-1" State="%s"><rsp:ExitCode>%d</rsp:ExitCode></rsp:CommandState>`, stateDone, exit)
	} else {
		b.WriteString(`<rsp:CommandState CommandId="CMD-1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/>`)
	}
	b.WriteString(`</rsp:ReceiveResponse>`)
	return envelope(nsShell+"/ReceiveResponse", b.String())
}

func faultEnvelope(code, subcode, reason string, wsmanCode uint32) string {
	return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
		`<s:Fault><s:Code><s:Value>`+code+`</s:Value><s:Subcode><s:Value>`+subcode+`</s:Value></s:Subcode></s:Code>`+
			`<s:Reason><s:Text xml:lang="en-US">`+reason+`</s:Text></s:Reason><s:Detail>`+
			`<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="`+strconv.FormatUint(uint64(wsmanCode), 10)+`" Machine="dp01">`+
			`<f:Message>`+reason+`</f:Message></f:WSManFault></s:Detail></s:Fault>`)
}

var timedOutFault = faultEnvelope("s:Receiver", "w:TimedOut",
	"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ", 2150858793)

// start serves f over HTTP (or HTTPS) and returns a Config pointing at it.
func (f *fakeHost) start(t *testing.T, tls bool) (*httptest.Server, Config) {
	t.Helper()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(f)
	} else {
		srv = httptest.NewServer(f)
	}
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return srv, Config{
		Host: u.Hostname(), Port: port, HTTPS: tls,
		Username: testUser, Password: testPass, Auth: AuthBasic,
		AllowUnencrypted: !tls, Timeout: 10 * time.Second,
	}
}

// closedPort returns a loopback TCP port that nothing listens on (it was
// free a moment ago), for "connection refused".
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listener address %v is not TCP", l.Addr())
	}
	return addr.Port
}
