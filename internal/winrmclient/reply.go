package winrmclient

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Namespaces and URIs of the WS-Management messages the client exchanges.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

	actionCreate  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	actionDelete  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
	actionCommand = nsShell + "/Command"
	actionSend    = nsShell + "/Send"
	actionReceive = nsShell + "/Receive"
	actionSignal  = nsShell + "/Signal"

	actionCommandResponse = nsShell + "/CommandResponse"
	stateDone             = nsShell + "/CommandState/Done"
)

// opName names a request action for messages.
func opName(action string) string {
	switch action {
	case actionCreate:
		return "create shell"
	case actionDelete:
		return "delete shell"
	case actionCommand:
		return "start command"
	case actionSend:
		return "send input"
	case actionReceive:
		return "receive output"
	case actionSignal:
		return "signal command"
	}
	return "request"
}

// replyIgnored reports actions whose reply body the library never parses, so
// an empty 200 is harmless for them (some servers send no SendResponse body).
func replyIgnored(action string) bool {
	return action == actionSend || action == actionSignal || action == actionDelete
}

// requestAction reads a:Action from the envelope the library built.
func requestAction(envelope string) string {
	d := xml.NewDecoder(strings.NewReader(envelope))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsAddressing && se.Name.Local == "Action" {
			var s string
			if d.DecodeElement(&s, &se) != nil {
				return ""
			}
			return strings.TrimSpace(s)
		}
	}
}

// reply is what the client needs to know about a WS-Management reply. Its
// fields are what the library's XPath queries would pick (first match
// wins), as the differential tests against the library check.
type reply struct {
	action    string // first a:Action
	shellID   string // first w:Selector[@Name='ShellId']
	commandID string // first rsp:CommandId
	hasData   bool   // some rsp:Stream carries data
	done      bool   // some element has State=.../CommandState/Done
	exitCode  int    // first rsp:ExitCode, when done
	// stdout and stderr are the decoded rsp:Stream elements of those names,
	// in order: what the library's ParseSlurpOutputErrResponse writes,
	// except that bad base64 is an error instead of output lost.
	stdout, stderr []byte
	fault          *FaultError
}

// maxReplyBytes bounds a reply read into memory; replies are limited by
// MaxEnvelopeSize (153,600 bytes as the library sends it), so this is generous.
const maxReplyBytes = 16 << 20

// parseReply checks that body is one well-formed XML document whose root is a
// SOAP 1.2 Envelope, and extracts the fields the client checks and uses:
// the ids of a Create or Command reply, the output of a Receive. The
// client reads replies with it alone, in one pass; the library's parsers
// build an XPath tree of the whole reply (for the 33 KB Receive of a
// refresh, 280 KB of garbage and most of the client's CPU time). The decoder
// is as strict as goxpath's xmltree.ParseXML was (no charset conversion), so
// no reply the library would have refused is accepted.
func parseReply(body []byte) (*reply, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("the reply body is empty")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true

	var (
		r         reply
		stack     []*xmlFrame
		roots     int
		inFault   int // depth of the s:Fault element + 1, 0 when outside
		gotAction bool
		gotShell  bool
		gotCmd    bool
		exitText  *string // the first rsp:ExitCode's text
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the reply is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return nil, errors.New("the reply holds more than one XML document")
				}
				if t.Name.Space != nsSOAP || t.Name.Local != "Envelope" {
					return nil, fmt.Errorf("the reply is XML but not a SOAP 1.2 envelope (root element %q)", t.Name.Local)
				}
			}
			f := &xmlFrame{name: t.Name, attr: t.Copy().Attr}
			stack = append(stack, f)
			if t.Name.Space == nsSOAP && t.Name.Local == "Fault" && inFault == 0 {
				inFault = len(stack)
				r.fault = &FaultError{}
			}
			for _, a := range t.Attr {
				if a.Name.Space == "" && a.Name.Local == "State" && a.Value == stateDone {
					r.done = true
				}
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
				if roots == 0 {
					return nil, errors.New("the reply is not XML")
				}
				return nil, errors.New("the reply has text after the XML document")
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			text := f.text.String()
			// Inside a fault, descendant text accumulates upwards so that
			// WSManFault/Message collects the text of its nested
			// ProviderFault. Nowhere else: the stream of a Receive would
			// be copied once per enclosing element.
			if len(stack) > 0 && inFault > 0 {
				stack[len(stack)-1].text.WriteString(text)
			}
			trimmed := strings.TrimSpace(text)
			switch {
			case f.name.Space == nsAddressing && f.name.Local == "Action" && !gotAction:
				r.action, gotAction = trimmed, true
			case f.name.Space == nsWSMan && f.name.Local == "Selector" && attr(f.attr, "Name") == "ShellId" && !gotShell:
				r.shellID, gotShell = trimmed, true
			case f.name.Space == nsShell && f.name.Local == "CommandId" && !gotCmd:
				r.commandID, gotCmd = trimmed, true
			case f.name.Space == nsShell && f.name.Local == "Stream" && trimmed != "":
				r.hasData = true
				if err := r.addStream(attr(f.attr, "Name"), trimmed); err != nil {
					return nil, err
				}
			case f.name.Space == nsShell && f.name.Local == "ExitCode" && exitText == nil:
				exitText = &trimmed
			}
			if inFault > 0 {
				fillFault(r.fault, stack, f.name.Local, f.attr, trimmed)
				if len(stack)+1 == inFault {
					inFault = 0
				}
			}
		}
	}
	if roots == 0 {
		return nil, errors.New("the reply holds no XML element")
	}
	if r.done && exitText != nil {
		code, err := strconv.Atoi(*exitText)
		if err != nil {
			return nil, fmt.Errorf("the exit code %q is not a number", *exitText)
		}
		r.exitCode = code
	}
	if r.fault != nil {
		if r.fault.Message == r.fault.Reason {
			r.fault.Message = ""
		}
	}
	return &r, nil
}

// addStream decodes the text of an rsp:Stream into the output it names;
// streams of other names are not the client's.
func (r *reply) addStream(name, text string) error {
	var out *[]byte
	switch name {
	case "stdout":
		out = &r.stdout
	case "stderr":
		out = &r.stderr
	default:
		return nil
	}
	n := len(*out)
	*out = append(*out, make([]byte, base64.StdEncoding.DecodedLen(len(text)))...)
	m, err := base64.StdEncoding.Decode((*out)[n:], []byte(text))
	if err != nil {
		return fmt.Errorf("the %s stream of the reply is not base64: %v", name, err)
	}
	*out = (*out)[:n+m]
	return nil
}

// xmlFrame is one open element while scanning a reply.
type xmlFrame struct {
	name xml.Name
	attr []xml.Attr
	text strings.Builder
}

// fillFault records the fault parts by their position under s:Fault. Local
// names only: the prefixes and even namespaces vary between implementations.
func fillFault(fe *FaultError, parents []*xmlFrame, local string, attrs []xml.Attr, text string) {
	parent := ""
	grand := ""
	if n := len(parents); n > 0 {
		parent = parents[n-1].name.Local
		if n > 1 {
			grand = parents[n-2].name.Local
		}
	}
	switch {
	case local == "Value" && parent == "Code" && fe.Code == "":
		fe.Code = localPart(text)
	case local == "Value" && parent == "Subcode" && grand == "Code" && fe.Subcode == "":
		fe.Subcode = localPart(text)
	case local == "Text" && parent == "Reason" && fe.Reason == "":
		fe.Reason = text
	case local == "WSManFault":
		if v, err := strconv.ParseUint(attr(attrs, "Code"), 10, 32); err == nil {
			fe.WSManCode = uint32(v)
		}
	case local == "Message" && parent == "WSManFault" && fe.Message == "":
		fe.Message = strings.Join(strings.Fields(text), " ")
	}
	fe.Reason = strings.TrimSpace(fe.Reason)
}

// localPart strips a QName prefix: "w:QuotaLimit" -> "QuotaLimit".
func localPart(q string) string {
	if i := strings.LastIndexByte(q, ':'); i >= 0 {
		return q[i+1:]
	}
	return q
}

func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// snippet shows the start of an unexpected body, for diagnosis, without
// control characters.
func snippet(body []byte) string {
	const maxLen = 80
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(body))
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxLen {
		s = string(r[:maxLen]) + "…"
	}
	return strconv.Quote(s)
}
