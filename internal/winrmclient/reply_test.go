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

// FuzzAcceptedRepliesNeverPanicTheLibrary backs the claim that validation
// makes the library's parsers safe: whatever parseReply accepts, they
// handle without panicking (a panic on the library's goroutine would kill
// the provider). `go test` runs the seeds; run with -fuzz to search.
func FuzzAcceptedRepliesNeverPanicTheLibrary(f *testing.F) {
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
		if _, err := parseReply(body); err != nil {
			return
		}
		s := string(body)
		_, _ = winrm.ParseOpenShellResponse(s)
		_, _ = winrm.ParseExecuteCommandResponse(s)
		var out, errOut bytes.Buffer
		_, _, _ = winrm.ParseSlurpOutputErrResponse(s, &out, &errOut)
	})
}

// TestPostRecoversPanics: a panic inside Post (here a nil message) must
// become an error, since Post also runs on the library's goroutine.
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
