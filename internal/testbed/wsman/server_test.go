package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

const soapCT = "application/soap+xml;charset=UTF-8"

// The 401 must look like Windows' so that clients (and the provider's error
// translation) react the same way.
func TestUnauthorizedShape(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	body := []byte(winrm.NewOpenShellRequest(f.url(), nil).String())
	for _, tc := range []struct{ name, user, pass string }{
		{"no credentials", "", ""},
		{"wrong password", testUser, "nope"},
		{"wrong user", "administrator", testPass},
		{"password prefix", testUser, testPass[:len(testPass)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.post(t, tc.user, tc.pass, soapCT, body)
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.Status)
			}
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{"Negotiate", `Basic realm="WSMAN"`}) {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if got := res.Header.Get("Content-Length"); got != "0" {
				t.Errorf("Content-Length %q, want 0", got)
			}
			if got, ok := res.Header["Content-Type"]; ok {
				t.Errorf("Content-Type %q present on a 401", got)
			}
			if len(res.Body) != 0 {
				t.Errorf("body %q", res.Body)
			}
		})
	}
	if st := f.srv.Stats(); st.AuthFailures != 4 || st.ShellsCreated != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Several users through a custom Authenticator; quotas are per user.
func TestQuotaLimit(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{
		MaxShellsPerUser: 2,
		Authenticator:    NewBasicAuth(map[string]string{testUser: testPass, "other": "pw"}),
	})
	first := f.createShell(t)
	f.createShell(t)

	msg := winrm.NewOpenShellRequest(f.url(), nil)
	res := f.soap(t, msg)
	if res.Status != http.StatusInternalServerError || res.Header.Get("Content-Type") != soapCT {
		t.Fatalf("third shell: HTTP %d %q: %s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	flt := parseFault(t, res.Body)
	if flt.Code != "s:Sender" || flt.Subcode != "w:QuotaLimit" || flt.WSManCode != "2150859173" ||
		!strings.Contains(flt.Reason, "maximum number of concurrent shells") {
		t.Errorf("fault %+v", flt)
	}
	if flt.RelatesTo != messageID(t, msg) {
		t.Errorf("RelatesTo %q, want the request's MessageID", flt.RelatesTo)
	}
	if !bytes.Contains(res.Body, []byte("maximum number of 2 concurrent shells")) {
		t.Errorf("detail does not name the limit: %s", res.Body)
	}

	// Another user is not affected.
	other := f.post(t, "other", "pw", soapCT, []byte(winrm.NewOpenShellRequest(f.url(), nil).String()))
	if other.Status != http.StatusOK {
		t.Errorf("other user: HTTP %d", other.Status)
	}
	// ...and cannot see, let alone delete, this user's shells.
	del := f.post(t, "other", "pw", soapCT, []byte(winrm.NewDeleteShellRequest(f.url(), first, nil).String()))
	if del.Status != http.StatusInternalServerError || parseFault(t, del.Body).Subcode != "w:InvalidSelectors" {
		t.Errorf("other user deleting a shell: HTTP %d %s", del.Status, del.Body)
	}

	// Deleting a shell frees a slot.
	if res := f.soap(t, winrm.NewDeleteShellRequest(f.url(), first, nil)); res.Status != http.StatusOK {
		t.Fatalf("Delete: HTTP %d: %s", res.Status, res.Body)
	}
	f.createShell(t)
	if st := f.srv.Stats(); st.ShellsOpen != 3 || st.ShellsCreated != 4 || st.Faults != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestUnknownShell(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{MachineName: "DP01"})
	const bogus = "11111111-2222-3333-4444-555555555555"
	for _, msg := range []interface{ String() string }{
		winrm.NewExecuteCommandRequest(f.url(), bogus, "echo", nil, nil),
		winrm.NewGetOutputRequest(f.url(), bogus, "C", "stdout stderr", nil),
		winrm.NewSendInputRequest(f.url(), bogus, "C", []byte("x"), false, nil),
		winrm.NewSignalRequest(f.url(), bogus, "C", nil),
		winrm.NewDeleteShellRequest(f.url(), bogus, nil),
	} {
		res := f.soap(t, msg)
		if res.Status != http.StatusInternalServerError {
			t.Fatalf("HTTP %d: %s", res.Status, res.Body)
		}
		flt := parseFault(t, res.Body)
		want := parsedFault{
			Code: "s:Sender", Subcode: "w:InvalidSelectors", WSManCode: "2150858843", Machine: "DP01",
			Reason:    "The WS-Management service cannot process the request because the request contained invalid selectors for the resource.",
			RelatesTo: messageID(t, msg), Action: actionFault,
		}
		if flt != want {
			t.Errorf("fault\n got %+v\nwant %+v", flt, want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	res := f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, "NOPE", "stdout stderr", nil))
	if flt := parseFault(t, res.Body); res.Status != 500 || flt.Subcode != "w:InvalidParameter" {
		t.Errorf("HTTP %d, fault %+v", res.Status, flt)
	}
}

func TestHTTPRejections(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{MaxEnvelopeSize: 8192})
	okBody := []byte(winrm.NewOpenShellRequest(f.url(), nil).String())
	big := append(bytes.Repeat([]byte(" "), 9000), okBody...)

	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, f.url(), nil)
		req.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// A body without a Content-Length (chunked) must be cut off too.
	chunked := func() int {
		req, _ := http.NewRequest(http.MethodPost, f.url(), struct{ *bytes.Reader }{bytes.NewReader(big)})
		req.Header.Set("Content-Type", soapCT)
		req.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.ContentLength != -1 && req.ContentLength != 0 {
			t.Errorf("request was not chunked")
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name string
		got  func() int
		want int
	}{
		{"GET", get, http.StatusMethodNotAllowed},
		{"text/plain", func() int { return f.post(t, testUser, testPass, "text/plain", okBody).Status }, http.StatusUnsupportedMediaType},
		{"no content type", func() int { return f.post(t, testUser, testPass, "", okBody).Status }, http.StatusUnsupportedMediaType},
		{"utf-16 charset", func() int {
			return f.post(t, testUser, testPass, "application/soap+xml;charset=UTF-16", okBody).Status
		}, http.StatusUnsupportedMediaType},
		{"oversized", func() int { return f.post(t, testUser, testPass, soapCT, big).Status }, http.StatusRequestEntityTooLarge},
		{"oversized chunked", chunked, http.StatusRequestEntityTooLarge},
		{"plain charset-less soap is fine", func() int { return f.post(t, testUser, testPass, "application/soap+xml", okBody).Status }, http.StatusOK},
	} {
		if got := tc.got(); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Malformed requests get a s:Sender fault with a reason that says what is wrong.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	create := winrm.NewOpenShellRequest(f.url(), nil).String()
	for _, tc := range []struct {
		name, body, subcode, detail string
	}{
		{"not xml", "this is not xml", "w:SchemaValidationError", "XML is invalid"},
		{"truncated", create[:len(create)/2], "w:SchemaValidationError", "XML is invalid"},
		{"soap 1.1", strings.ReplaceAll(create, nsSOAP, "http://schemas.xmlsoap.org/soap/envelope/"), "w:SchemaValidationError", "not a SOAP 1.2 Envelope"},
		{"no action", strings.NewReplacer("<a:Action", "<a:Nothing", "</a:Action>", "</a:Nothing>").Replace(create), "a:MessageInformationHeaderRequired", "no WS-Addressing Action"},
		{"unknown action", strings.Replace(create, "transfer/Create", "transfer/Get", 1), "a:ActionNotSupported", "transfer/Get"},
		{"other resource", strings.Replace(create, "windows/shell/cmd", "windows/shell/powershell", 1), "w:InvalidResourceURI", "windows/shell/powershell"},
		{"bad timeout", strings.Replace(create, "PT60S", "sixty seconds", 1), "a:InvalidMessageInformationHeader", "OperationTimeout"},
		// MS-WSMV 3.1.4.1.7: a MaxEnvelopeSize below 8192 is w:EncodingLimit.
		{"envelope below 8192", strings.Replace(create, ">153600<", ">8191<", 1), "w:EncodingLimit", "MaxEnvelopeSize 8191 is below 8192"},
		{"no shell body", strings.Replace(strings.Replace(create, "<rsp:Shell>", "<rsp:Other>", 1), "</rsp:Shell>", "</rsp:Other>", 1), "w:SchemaValidationError", "rsp:Shell"},
		{"bad base64", strings.Replace(winrm.NewSendInputRequest(f.url(), sh, "C", []byte("hi"), false, nil).String(), "aGk=", "!!!", 1), "w:InvalidParameter", ""},
		{"receive without command id", strings.Replace(winrm.NewGetOutputRequest(f.url(), sh, "C", "stdout", nil).String(), `CommandId="C"`, "", 1), "w:SchemaValidationError", "CommandId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.post(t, testUser, testPass, soapCT, []byte(tc.body))
			if res.Status != http.StatusInternalServerError {
				t.Fatalf("HTTP %d: %s", res.Status, res.Body)
			}
			flt := parseFault(t, res.Body)
			if flt.Code != "s:Sender" || flt.Subcode != tc.subcode || flt.Reason == "" {
				t.Errorf("fault %+v, want subcode %s", flt, tc.subcode)
			}
			if !bytes.Contains(res.Body, []byte(tc.detail)) {
				t.Errorf("fault does not mention %q: %s", tc.detail, res.Body)
			}
		})
	}
}

// The raw shape of the wire: a:Action, RelatesTo, the TimedOut fault held
// for the OperationTimeout, Running without an exit code, Done with one.
func TestReceiveWireShape(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	cmd := f.startCommand(t, sh, "echo")

	// No output yet: held for the timeout, then TimedOut.
	msg := winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", params("PT0.3S"))
	start := time.Now()
	res := f.soap(t, msg)
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("TimedOut after %v, before the OperationTimeout", el)
	}
	flt := parseFault(t, res.Body)
	if res.Status != 500 || flt.Code != "s:Receiver" || flt.Subcode != "w:TimedOut" || flt.WSManCode != "2150858793" ||
		!strings.Contains(flt.Reason, "OperationTimeout") || flt.RelatesTo != messageID(t, msg) {
		t.Errorf("HTTP %d, fault %+v", res.Status, flt)
	}

	// Output while running: a stream, state Running, no exit code.
	if res := f.soap(t, winrm.NewSendInputRequest(f.url(), sh, cmd, []byte("hello"), false, nil)); res.Status != 200 ||
		!bytes.Contains(res.Body, []byte(nsShell+"/SendResponse")) {
		t.Fatalf("Send: HTTP %d: %s", res.Status, res.Body)
	}
	res = f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", params("PT5S")))
	var stdout, stderr bytes.Buffer
	done, _, err := winrm.ParseSlurpOutputErrResponse(string(res.Body), &stdout, &stderr)
	if err != nil || done || stdout.String() != "hello" || !bytes.Contains(res.Body, []byte(stateRunning)) || bytes.Contains(res.Body, []byte("ExitCode")) {
		t.Errorf("running Receive: done=%v err=%v stdout=%q: %s", done, err, stdout.String(), res.Body)
	}
	if !bytes.Contains(res.Body, []byte(nsShell+"/ReceiveResponse")) {
		t.Errorf("no ReceiveResponse action: %s", res.Body)
	}

	// End of input: the command exits, Done carries the exit code.
	if res := f.soap(t, winrm.NewSendInputRequest(f.url(), sh, cmd, nil, true, nil)); res.Status != 200 {
		t.Fatalf("Send End: HTTP %d: %s", res.Status, res.Body)
	}
	res = f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", params("PT5S")))
	done, code, err := winrm.ParseSlurpOutputErrResponse(string(res.Body), &stdout, &stderr)
	if err != nil || !done || code != 0 || !bytes.Contains(res.Body, []byte(`<rsp:ExitCode>0</rsp:ExitCode>`)) {
		t.Errorf("final Receive: done=%v code=%d err=%v: %s", done, code, err, res.Body)
	}

	// Signal terminate forgets the command; Delete removes the shell.
	if res := f.soap(t, winrm.NewSignalRequest(f.url(), sh, cmd, nil)); res.Status != 200 || !bytes.Contains(res.Body, []byte("SignalResponse")) {
		t.Errorf("Signal: HTTP %d: %s", res.Status, res.Body)
	}
	if res := f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", nil)); res.Status != 500 {
		t.Errorf("Receive after terminate: HTTP %d", res.Status)
	}
	if res := f.soap(t, winrm.NewDeleteShellRequest(f.url(), sh, nil)); res.Status != 200 ||
		!bytes.Contains(res.Body, []byte(nsTransfer+"/DeleteResponse")) {
		t.Errorf("Delete: HTTP %d: %s", res.Status, res.Body)
	}
	if st := f.srv.Stats(); st.ShellsOpen != 0 || st.ReceiveTimeouts != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Every output chunk is valid base64 on its own, so the client (which decodes
// each element separately) loses nothing whatever the chunk boundaries.
func TestStreamChunksIndependentlyPadded(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	cmd := f.startCommand(t, sh, "big 200001") // not a multiple of 3 anywhere near the chunk sizes
	var total int
	for range 20 {
		res := f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", nil))
		req, flt := parseRequest(res.Body) // parses any envelope
		if flt != nil {
			t.Fatalf("reply: %v", flt)
		}
		done := false
		for _, el := range req.Body.ChildElements() {
			if isShell(el, "Stream") {
				b, err := base64.StdEncoding.Strict().DecodeString(el.Text())
				if err != nil {
					t.Fatalf("chunk not independently decodable: %v", err)
				}
				total += len(b)
			}
			if isShell(el, "CommandState") && attr(el, "State") == stateDone {
				done = true
			}
		}
		if done {
			break
		}
	}
	if total != 200001 {
		t.Errorf("received %d bytes, want 200001", total)
	}
}

// Close ends running commands and answers pending long-polls at once.
func TestCloseReleasesLongPolls(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	cmd := f.startCommand(t, sh, "block")

	var wg sync.WaitGroup
	var res rawResult
	wg.Add(1)
	go func() {
		defer wg.Done()
		req, _ := http.NewRequest(http.MethodPost, f.url(), strings.NewReader(winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", params("PT30S")).String()))
		req.Header.Set("Content-Type", soapCT)
		req.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body) // a short body fails the checks on res
		res = rawResult{Status: resp.StatusCode, Body: b.Bytes()}
	}()
	waitFor(t, "the Receive to arrive", func() bool { return f.srv.Stats().Receive == 1 })
	start := time.Now()
	f.srv.Close()
	wg.Wait()
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("long-poll released after %v", el)
	}
	if f.exec.terminated.Load() != 1 {
		t.Error("the executor was not terminated")
	}
	if res.Status != 500 || parseFault(t, res.Body).Subcode != "w:InvalidSelectors" {
		t.Errorf("pending Receive got HTTP %d: %s", res.Status, res.Body)
	}
	// After Close, new shells are refused.
	if res := f.soap(t, winrm.NewOpenShellRequest(f.url(), nil)); res.Status != 500 {
		t.Errorf("Create after Close: HTTP %d", res.Status)
	}
}

// A Receive whose client hangs up does not lose the server: the next
// Receive still gets the output.
func TestAbandonedReceive(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	cmd := f.startCommand(t, sh, "sleep 300ms")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url(), strings.NewReader(winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", nil).String()))
	req.Header.Set("Content-Type", soapCT)
	req.SetBasicAuth(testUser, testPass)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the abandoned request got an answer")
	}
	res := f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, cmd, "stdout stderr", nil))
	var out bytes.Buffer
	done, _, _ := winrm.ParseSlurpOutputErrResponse(string(res.Body), &out, &out)
	if !done || out.String() != "slept" {
		t.Errorf("done=%v out=%q", done, out.String())
	}
}

// The debug log never carries credentials or stream data.
func TestLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logs strings.Builder
	f := startServer(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, format+"\n", args...)
	}})
	const stdin = "stdin-payload-4711"
	if _, _, _, err := f.client(t, testPass, "").RunWithContextWithString(context.Background(), "echo", stdin); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.client(t, "wrong-password-0815", "").RunWithContextWithString(context.Background(), "echo", ""); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	for _, secret := range []string{testPass, "wrong-password-0815", "Authorization", "Basic ", stdin,
		base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass)), base64.StdEncoding.EncodeToString([]byte(stdin))} {
		if strings.Contains(got, secret) {
			t.Errorf("log contains %q:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "created shell") || !strings.Contains(got, "401") {
		t.Errorf("log lacks the expected events:\n%s", got)
	}
}

// TestCommandAfterUnsignalledCommand: once a command's end was delivered, a
// new Command in its shell is refused until the client sends Signal
// terminate, as MS-WSMV requires; a command still running does not block
// the next one.
func TestCommandAfterUnsignalledCommand(t *testing.T) {
	t.Parallel()
	f := startServer(t, Options{})
	sh := f.createShell(t)
	f.startCommand(t, sh, "block") // running, its end not delivered
	first := f.startCommand(t, sh, "exit 0")
	res := f.soap(t, winrm.NewGetOutputRequest(f.url(), sh, first, "stdout stderr", params("PT5S")))
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), stateDone) {
		t.Fatalf("Receive: HTTP %d: %s", res.Status, res.Body)
	}
	res = f.soap(t, winrm.NewExecuteCommandRequest(f.url(), sh, "exit 0", nil, nil))
	flt := parseFault(t, res.Body)
	if res.Status != 500 || flt.Subcode != "w:InvalidParameter" || !strings.Contains(string(res.Body), "not terminated with Signal") {
		t.Fatalf("Command with a Signal owed: HTTP %d, fault %+v", res.Status, flt)
	}
	if res := f.soap(t, winrm.NewSignalRequest(f.url(), sh, first, nil)); res.Status != http.StatusOK {
		t.Fatalf("Signal: HTTP %d: %s", res.Status, res.Body)
	}
	f.startCommand(t, sh, "exit 0")
}
