package winrmclient

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		wantErr string
		check   func(*reply) bool
	}{
		{"create", createEnvelope("ABC"), "", func(r *reply) bool { return r.shellID == "ABC" }},
		{"command", envelope(actionCommandResponse, "<rsp:CommandResponse><rsp:CommandId> C1 </rsp:CommandId></rsp:CommandResponse>"), "",
			func(r *reply) bool { return r.commandID == "C1" && r.action == actionCommandResponse }},
		{"receive running", receiveEnvelope([]string{"x"}, nil, false, 0), "", func(r *reply) bool { return r.hasData && !r.done }},
		{"receive done", receiveEnvelope(nil, nil, true, 7), "", func(r *reply) bool { return !r.hasData && r.done }},
		{"fault", timedOutFault, "", func(r *reply) bool {
			return r.fault != nil && r.fault.Code == "Receiver" && r.fault.Subcode == "TimedOut" &&
				r.fault.WSManCode == WSManCodeTimedOut && strings.Contains(r.fault.Reason, "OperationTimeout") && r.fault.TimedOut()
		}},
		{"BOM before the document", "\ufeff" + createEnvelope("B"), "", func(r *reply) bool { return r.shellID == "B" }},
		{"empty", "", "empty", nil},
		{"whitespace", " \r\n", "empty", nil},
		{"text", "Bad Request", "not XML", nil},
		{"html", "<html/>", "not a SOAP 1.2 envelope", nil},
		{"two documents", createEnvelope("A") + createEnvelope("B"), "more than one", nil},
		{"trailing text", createEnvelope("A") + "junk", "text after", nil},
		{"truncated", createEnvelope("A")[:100], "not well-formed", nil},
		{"comment only", "<!-- nothing -->", "no XML element", nil},
		{"other charset", `<?xml version="1.0" encoding="UTF-16"?>` + createEnvelope("A"), "not well-formed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseReply([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(r) {
				t.Errorf("unexpected %+v (fault %+v)", r, r.fault)
			}
		})
	}
}

// FuzzParseReply: parseReply is the only parser of the host's replies (the
// library no longer parses any), so whatever bytes arrive it must return
// an error or a reply, never panic; and output it accepts counts as data
// for the pacing of Receive polls. `go test` runs the seeds; run with
// -fuzz to search.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		createEnvelope("S"), receiveEnvelope([]string{"a"}, []string{"b"}, true, 1), timedOutFault,
		envelope(actionCommandResponse, "<rsp:CommandId>C</rsp:CommandId>"), "", " ", "<x/>", "\ufeff<x/>",
		`<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`,
		`<!DOCTYPE s:Envelope><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`,
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><?pi x?><!--c--></s:Envelope><!--after-->`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseReply(body)
		if err != nil {
			return
		}
		if (len(r.stdout) > 0 || len(r.stderr) > 0) && !r.hasData {
			t.Fatalf("output %q/%q without hasData", r.stdout, r.stderr)
		}
	})
}

// TestPostRecoversPanics: a panic inside Post (here a nil message) must
// become an error, not end the provider.
func TestPostRecoversPanics(t *testing.T) {
	c := mustNew(t, Config{Host: "dp01", Username: "u", Password: "p", Auth: AuthBasic, AllowUnencrypted: true})
	tr := &runTransport{c: c, st: newRunState(t.Context())}
	_, err := tr.Post(nil, nil)
	var e *Error
	if err == nil || !strings.Contains(err.Error(), "internal error") || !errors.As(err, &e) || e.Kind != KindProtocol {
		t.Fatalf("want a KindProtocol internal error, got %v", err)
	}
}

// TestWithoutLocale: the locale headers leave the header; the body, however
// long and whatever it holds, is passed on untouched.
func TestWithoutLocale(t *testing.T) {
	body := `<env:Body><rsp:Send><rsp:Stream>` + strings.Repeat("QUJD", 1000) + `<w:Locale xml:lang="x"/></rsp:Stream></rsp:Send></env:Body></env:Envelope>`
	in := `<env:Envelope><env:Header><a:MessageID>uuid:1</a:MessageID>` +
		`<w:Locale mustUnderstand="false" xml:lang="en-US"/><p:DataLocale mustUnderstand="false" xml:lang="en-US"/>` +
		`<a:Action>Send</a:Action></env:Header>` + body
	want := `<env:Envelope><env:Header><a:MessageID>uuid:1</a:MessageID><a:Action>Send</a:Action></env:Header>` + body
	if got := withoutLocale(in); got != want {
		t.Errorf("withoutLocale:\n got %.200s\nwant %.200s", got, want)
	}
}

// TestReceiveOutputMatchesLibrary: the output parseReply takes from a
// Receive reply is what the library's ParseSlurpOutputErrResponse answers,
// on every shape of reply the client meets, and what the library would
// silently drop is refused.
func TestReceiveOutputMatchesLibrary(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 2000)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"running, no output", receiveEnvelope(nil, nil, false, 0)},
		{"running, output", receiveEnvelope([]string{"part one "}, nil, false, 0)},
		{"done, exit 0", receiveEnvelope([]string{"out"}, nil, true, 0)},
		{"done, exit 3, stderr", receiveEnvelope([]string{"a", "b"}, []string{"err1", "err2"}, true, 3)},
		{"stderr only", receiveEnvelope(nil, []string{"boom"}, true, 1)},
		{"a large stream", receiveEnvelope([]string{big}, nil, true, 0)},
		{"an empty stream", envelope(nsShell+"/ReceiveResponse", `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C"></rsp:Stream>`+
			`<rsp:Stream Name="stdout" CommandId="C" End="true"/><rsp:CommandState CommandId="C" State="`+stateDone+`"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)},
		{"a stream of another name", envelope(nsShell+"/ReceiveResponse", `<rsp:ReceiveResponse><rsp:Stream Name="pr" CommandId="C">eA==</rsp:Stream>`+
			`<rsp:Stream Name="stdout" CommandId="C">eQ==</rsp:Stream></rsp:ReceiveResponse>`)},
		{"done without an exit code", envelope(nsShell+"/ReceiveResponse", `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="`+stateDone+`"/></rsp:ReceiveResponse>`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var libOut, libErr bytes.Buffer
			libDone, libCode, libE := winrm.ParseSlurpOutputErrResponse(tc.body, &libOut, &libErr)
			rep, err := parseReply([]byte(tc.body))
			if err != nil || libE != nil {
				t.Fatalf("errors: ours %v, library's %v", err, libE)
			}
			if rep.done != libDone || rep.exitCode != libCode || !bytes.Equal(rep.stdout, libOut.Bytes()) || !bytes.Equal(rep.stderr, libErr.Bytes()) {
				t.Fatalf("ours: done %v, code %d, stdout %s, stderr %s\nlibrary: done %v, code %d, stdout %s, stderr %s",
					rep.done, rep.exitCode, snippet(rep.stdout), snippet(rep.stderr), libDone, libCode, snippet(libOut.Bytes()), snippet(libErr.Bytes()))
			}
		})
	}
	// The library drops a stream it cannot decode: the output would be cut
	// without a word. That is an error here, naming the stream; so is a bad
	// exit code, as it is for the library.
	for _, tc := range []struct{ body, want string }{
		{envelope(nsShell+"/ReceiveResponse", `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">not*base64</rsp:Stream></rsp:ReceiveResponse>`), "stdout stream"},
		{envelope(nsShell+"/ReceiveResponse", `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="`+stateDone+`"><rsp:ExitCode>x1</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`), `exit code "x1"`},
	} {
		if _, err := parseReply([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one with %q", err, tc.want)
		}
	}
}

// TestReplyIDsMatchLibrary: the ids requestID picks from parseReply are the
// ones the library's ParseOpenShellResponse and ParseExecuteCommandResponse
// return (it reads them that way since it stopped calling those).
func TestReplyIDsMatchLibrary(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		create     bool // a Create reply, else a Command reply
	}{
		{"create", createEnvelope("2D6534D0-6B12-40E3-B773-CBA26459CFA8"), true},
		{"create, other selectors first", envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
			`<x:ResourceCreated><a:ReferenceParameters><w:SelectorSet><w:Selector Name="Other">X</w:Selector>`+
				`<w:Selector Name="ShellId">S-1</w:Selector><w:Selector Name="ShellId">S-2</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`), true},
		{"command", envelope(actionCommandResponse, "<rsp:CommandResponse><rsp:CommandId>C-1</rsp:CommandId></rsp:CommandResponse>"), false},
		{"command, two ids", envelope(actionCommandResponse, "<rsp:CommandResponse><rsp:CommandId>C-1</rsp:CommandId><rsp:CommandId>C-2</rsp:CommandId></rsp:CommandResponse>"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := parseReply([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			ours, lib, libErr := rep.commandID, "", error(nil)
			if tc.create {
				ours = rep.shellID
				lib, libErr = winrm.ParseOpenShellResponse(tc.body)
			} else {
				lib, libErr = winrm.ParseExecuteCommandResponse(tc.body)
			}
			if libErr != nil || ours != lib || ours == "" {
				t.Fatalf("ours %q, the library's %q (%v)", ours, lib, libErr)
			}
		})
	}
}
