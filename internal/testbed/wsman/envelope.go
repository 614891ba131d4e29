package wsman

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// XML namespaces of the protocol. Requests are matched on these URIs, never
// on prefixes: clients choose their own prefixes (masterzen uses env:, Windows
// uses s:).
const (
	nsSOAP      = "http://www.w3.org/2003/05/soap-envelope"
	nsAddress   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsTransfer  = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMan     = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWSMan   = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell     = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsWSManFail = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// Action URIs. Replies use the request action + "Response".
const (
	actionCreate  = nsTransfer + "/Create"
	actionDelete  = nsTransfer + "/Delete"
	actionCommand = nsShell + "/Command"
	actionSend    = nsShell + "/Send"
	actionReceive = nsShell + "/Receive"
	actionSignal  = nsShell + "/Signal"
	actionFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

	resourceCmd  = nsShell + "/cmd"
	anonymousTo  = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	stateRunning = nsShell + "/CommandState/Running"
	stateDone    = nsShell + "/CommandState/Done"

	signalTerminate = nsShell + "/signal/terminate"
	signalCtrlC     = nsShell + "/signal/ctrl_c"
	signalCtrlBreak = nsShell + "/signal/ctrl_break"
)

// Defaults a Windows host applies when the request does not say.
const (
	defaultOperationTimeout = 60 * time.Second
	// minEnvelopeSize is the smallest wsman:MaxEnvelopeSize a client may
	// ask for: below it Windows answers w:EncodingLimit (MS-WSMV
	// 3.1.4.1.7, after DSP0226 6.2).
	minEnvelopeSize = 8192
	// minOperationTimeout keeps a client asking for "PT0S" from turning the
	// Receive long-poll into a busy loop.
	minOperationTimeout = 200 * time.Millisecond
	maxOperationTimeout = 24 * time.Hour
)

// request is the part of a SOAP request envelope the server acts on.
type request struct {
	Action      string
	MessageID   string
	ResourceURI string
	// ShellID is the value of the ShellId selector; HasShellID tells an
	// absent selector from an empty one.
	ShellID    string
	HasShellID bool
	// Timeout is the w:OperationTimeout, or the default when absent.
	Timeout time.Duration
	// MaxEnvelope is the w:MaxEnvelopeSize the client accepts in the reply;
	// 0 when the request does not say (the server then uses its own limit).
	MaxEnvelope int
	// Options are the w:OptionSet entries, by name (WINRS_* on a Command).
	Options map[string]string
	// Body is the first element child of s:Body, nil when the body is empty.
	Body *etree.Element
}

// parseRequest reads a SOAP 1.2 envelope. Errors are faults ready to send.
func parseRequest(data []byte) (*request, *fault) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, faultInvalidXML(err.Error())
	}
	root := doc.Root()
	if root == nil {
		return nil, faultInvalidXML("the request body holds no XML element")
	}
	if root.Tag != "Envelope" || root.NamespaceURI() != nsSOAP {
		return nil, faultInvalidXML(fmt.Sprintf("the root element is {%s}%s, not a SOAP 1.2 Envelope", root.NamespaceURI(), root.Tag))
	}
	header := child(root, nsSOAP, "Header")
	body := child(root, nsSOAP, "Body")
	if header == nil || body == nil {
		return nil, faultSchema("the SOAP envelope must have a Header and a Body")
	}

	req := &request{
		Action:      textOf(child(header, nsAddress, "Action")),
		MessageID:   textOf(child(header, nsAddress, "MessageID")),
		ResourceURI: textOf(child(header, nsWSMan, "ResourceURI")),
		Timeout:     defaultOperationTimeout,
	}
	if req.Action == "" {
		return req, faultHeaderRequired("the request has no WS-Addressing Action header")
	}
	if req.MessageID == "" {
		return req, faultHeaderRequired("the request has no WS-Addressing MessageID header")
	}
	if el := child(header, nsWSMan, "OperationTimeout"); el != nil {
		d, err := parseDuration(textOf(el))
		if err != nil {
			return req, faultInvalidHeader("OperationTimeout: " + err.Error())
		}
		req.Timeout = min(max(d, minOperationTimeout), maxOperationTimeout)
	}
	if el := child(header, nsWSMan, "MaxEnvelopeSize"); el != nil {
		n, err := strconv.Atoi(textOf(el))
		if err != nil || n <= 0 {
			return req, faultInvalidHeader(fmt.Sprintf("MaxEnvelopeSize %q is not a positive integer", textOf(el)))
		}
		if n < minEnvelopeSize {
			return req, faultMinEnvelope(n)
		}
		req.MaxEnvelope = n
	}
	if set := child(header, nsWSMan, "OptionSet"); set != nil {
		req.Options = map[string]string{}
		for _, o := range children(set, nsWSMan, "Option") {
			req.Options[attr(o, "Name")] = textOf(o)
		}
	}
	if set := child(header, nsWSMan, "SelectorSet"); set != nil {
		for _, sel := range children(set, nsWSMan, "Selector") {
			if attr(sel, "Name") == "ShellId" {
				req.ShellID, req.HasShellID = textOf(sel), true
			}
		}
	}
	if els := body.ChildElements(); len(els) > 0 {
		req.Body = els[0]
	}
	return req, nil
}

// child returns the first element child of e with the namespace URI and local
// name, or nil.
func child(e *etree.Element, ns, local string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// children returns every element child of e with the namespace URI and local name.
func children(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// isShell reports whether e is the element {nsShell}local.
func isShell(e *etree.Element, local string) bool {
	return e != nil && e.Tag == local && e.NamespaceURI() == nsShell
}

// attr returns the value of the unqualified attribute name of e, "" when absent.
// etree's SelectAttrValue would also match a prefixed attribute of that name.
func attr(e *etree.Element, name string) string {
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value
		}
	}
	return ""
}

// textOf is the trimmed text content of e ("" for nil).
func textOf(e *etree.Element) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

// reply is a SOAP response envelope under construction.
type reply struct {
	doc  *etree.Document
	body *etree.Element
}

// newReply starts an envelope declaring the prefixes Windows uses, with the
// addressing headers every reply carries.
func newReply(action, relatesTo string) *reply {
	doc := etree.NewDocument()
	env := doc.CreateElement("s:Envelope")
	env.CreateAttr("xml:lang", "en-US")
	env.CreateAttr("xmlns:s", nsSOAP)
	env.CreateAttr("xmlns:a", nsAddress)
	env.CreateAttr("xmlns:x", nsTransfer)
	env.CreateAttr("xmlns:w", nsWSMan)
	env.CreateAttr("xmlns:rsp", nsShell)
	env.CreateAttr("xmlns:p", nsMSWSMan)
	h := env.CreateElement("s:Header")
	h.CreateElement("a:Action").SetText(action)
	h.CreateElement("a:MessageID").SetText("uuid:" + newGUID())
	h.CreateElement("a:To").SetText(anonymousTo)
	if relatesTo != "" {
		h.CreateElement("a:RelatesTo").SetText(relatesTo)
	}
	return &reply{doc: doc, body: env.CreateElement("s:Body")}
}

// bytes serialises the envelope.
func (r *reply) bytes() []byte {
	var buf bytes.Buffer
	if _, err := r.doc.WriteTo(&buf); err != nil {
		// Writing to a bytes.Buffer cannot fail; keep the error visible anyway.
		panic(fmt.Sprintf("wsman: serialising a reply: %v", err))
	}
	return buf.Bytes()
}

// newGUID returns a random (version 4) GUID in the uppercase form Windows uses
// for shell and command ids and message ids.
func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("wsman: reading random bytes: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var errDuration = errors.New("not an xs:duration such as PT60S or PT60.000S")

// parseDuration parses the xs:duration forms WS-Management clients send for
// OperationTimeout: PnDTnHnMnS with optional parts and fractional seconds.
// Years and months have no fixed length and are refused, as are negative
// durations.
func parseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, errDuration
	}
	var total float64
	inTime := false
	seen := false
	last := -1 // rank of the last unit: D, H, M, S must come in that order, once each
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, errDuration
			}
			inTime = true
			rest = rest[1:]
			if rest == "" {
				return 0, errDuration // "PT" alone
			}
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, errDuration
		}
		num := rest[:i]
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, errDuration
		}
		unit := rest[i]
		rest = rest[i+1:]
		var rank int
		var seconds float64
		switch {
		case !inTime && unit == 'D':
			rank, seconds = 0, 86400
		case inTime && unit == 'H':
			rank, seconds = 1, 3600
		case inTime && unit == 'M':
			rank, seconds = 2, 60
		case inTime && unit == 'S':
			rank, seconds = 3, 1
		default:
			return 0, errDuration
		}
		// Only seconds may have a fraction in xs:duration.
		if rank <= last || (unit != 'S' && strings.Contains(num, ".")) {
			return 0, errDuration
		}
		last = rank
		total += n * seconds
		seen = true
	}
	if !seen {
		return 0, errDuration
	}
	// Cap before converting so that absurd values cannot overflow.
	if total > maxOperationTimeout.Seconds() {
		return maxOperationTimeout, nil
	}
	return time.Duration(total * float64(time.Second)), nil
}
