package apphost

// The byte positions that let edits splice the original bytes: every
// element's span, found by a raw-token pass of the same decoder etree uses,
// and the file's indentation.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
)

// span locates one element in src. For a self-closing element endTagStart and
// end equal startTagEnd... except end, which is the byte after "/>".
type span struct {
	start       int // '<' of the start tag
	startTagEnd int // byte after the start tag's '>'
	endTagStart int // '<' of "</name>"; for a self-closing element, startTagEnd
	end         int // byte after the element
	selfClosing bool
}

type namedSpan struct {
	name string
	span span
}

// scanSpans walks the raw token stream and returns every element's span in
// document order. Offsets are into the whole file (bom is added back).
func scanSpans(body []byte, bom int) ([]namedSpan, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var out []namedSpan
	var stack []int // indexes into out
	for {
		before := int(dec.InputOffset())
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(body, err)
		}
		after := int(dec.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			out = append(out, namedSpan{name: qualified(t.Name), span: span{start: before + bom, startTagEnd: after + bom}})
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, &ParseError{Line: lineAt(body, before), Msg: fmt.Sprintf("unexpected end tag </%s>", t.Name.Local)}
			}
			top := &out[stack[len(stack)-1]]
			if name := qualified(t.Name); name != top.name {
				return nil, &ParseError{Line: lineAt(body, before), Msg: fmt.Sprintf("not well-formed XML: </%s> closes <%s> (opened on line %d)", name, top.name, lineAt(body, top.span.start-bom))}
			}
			s := &top.span
			stack = stack[:len(stack)-1]
			if after == before { // the decoder synthesises the end of "<x/>" without reading
				s.endTagStart, s.end, s.selfClosing = s.startTagEnd, after+bom, true
			} else {
				s.endTagStart, s.end = before+bom, after+bom
			}
		}
	}
	if len(stack) != 0 {
		return nil, &ParseError{Line: lineAt(body, len(body)), Msg: fmt.Sprintf("the file ends inside <%s>: it is truncated", out[stack[len(stack)-1]].name)}
	}
	return out, nil
}

func qualified(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func syntaxError(body []byte, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return &ParseError{Line: se.Line, Msg: "not well-formed XML: the file ends in the middle of a tag; it is truncated"}
		}
		return &ParseError{Line: se.Line, Msg: "not well-formed XML: " + se.Msg}
	}
	if errors.Is(err, etree.ErrXML) {
		return &ParseError{Line: lineAt(body, len(body)), Msg: "not well-formed XML: unclosed or mismatched elements (is the file truncated?)"}
	}
	return &ParseError{Msg: "not well-formed XML: " + err.Error()}
}

func lineAt(b []byte, off int) int {
	if off > len(b) {
		off = len(b)
	}
	return bytes.Count(b[:off], []byte{'\n'}) + 1
}

func detectNewline(src []byte) string {
	i := bytes.IndexByte(src, '\n')
	if i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// detectIndentUnit finds the step between a parent's indentation and its
// first indented child's, so inserted lines look like their neighbours.
// IIS itself writes four spaces. It runs while the positions are being
// found, so it takes them as spans.
func (d *Doc) detectIndentUnit(spans map[*etree.Element]span) string {
	var unit string
	var walk func(e *etree.Element) bool
	walk = func(e *etree.Element) bool {
		pi, pok := d.indentAt(spans[e].start)
		for _, c := range e.ChildElements() {
			ci, cok := d.indentAt(spans[c].start)
			if pok && cok && len(ci) > len(pi) && ci[:len(pi)] == pi {
				unit = ci[len(pi):]
				return true
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	if walk(d.Root()) {
		return unit
	}
	return "    "
}

// indent returns the whitespace before e on its line, and whether e's start
// tag is the first thing on that line.
func (d *Doc) indent(e *etree.Element) (string, bool) { return d.indentAt(d.span(e).start) }

// indentAt is indent for the start tag at byte s.
func (d *Doc) indentAt(s int) (string, bool) {
	ls := lineStart(d.src, s)
	ws := d.src[ls:s]
	if len(bytes.Trim(ws, " \t")) != 0 {
		return "", false
	}
	return string(ws), true
}

func lineStart(b []byte, off int) int {
	return bytes.LastIndexByte(b[:off], '\n') + 1
}
