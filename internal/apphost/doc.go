// Package apphost reads and edits IIS applicationHost.config without I/O.
//
// The file belongs to the user and holds every site, pool and binding of the
// server, so an edit must change only the bytes it means to change: BOM or none,
// CRLF or LF, indentation, comments, attribute order and IIS's `<add ... />`
// style all stay as they are. etree (which the provider uses to parse and locate)
// re-serialises a whole document in its own style when written, so this package
// never writes through etree: it keeps the original bytes, records the byte span
// of every element with a parallel encoding/xml pass (the same decoder etree
// uses, token for token), and edits by splicing bytes. Every edit re-parses its
// output, so a result that would not parse never leaves the package.
package apphost

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/beevik/etree"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Doc is a parsed applicationHost.config plus the byte positions needed to edit
// it in place. A Doc is immutable: edits return new bytes, which the caller
// parses again. It is safe for concurrent use.
//
// The positions (spans, unit) are found on first use: a refresh only looks
// things up, and the second pass over the file was a third of a fleet
// plan's parsing.
type Doc struct {
	src  []byte
	bom  int
	tree *etree.Document
	nl   string // the file's line ending, used for inserted lines

	posOnce  sync.Once
	posErr   error
	spansMap map[*etree.Element]span
	unitStr  string // one level of indentation, used for inserted lines
}

// positions finds every element's byte span, once. It fails only if the
// position scan and etree disagree, which the same decoder over the same
// bytes rules out; edits check it first and stop with an internal error.
func (d *Doc) positions() error {
	d.posOnce.Do(func() {
		order, err := scanSpans(d.src[d.bom:], d.bom)
		if err != nil {
			d.posErr = err
			return
		}
		spans := make(map[*etree.Element]span, len(order))
		// etree builds elements from the same RawToken stream in document
		// order, so the n-th element of a pre-order walk is the n-th start
		// tag scanned.
		i := 0
		var walk func(e *etree.Element) error
		walk = func(e *etree.Element) error {
			if i >= len(order) || order[i].name != e.FullTag() {
				return &ParseError{Msg: "internal error: element positions do not match the parsed tree; nothing was changed"}
			}
			spans[e] = order[i].span
			i++
			for _, c := range e.ChildElements() {
				if err := walk(c); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(d.Root()); err != nil {
			d.posErr = err
			return
		}
		if i != len(order) {
			d.posErr = &ParseError{Msg: "internal error: element count does not match the parsed tree; nothing was changed"}
			return
		}
		d.spansMap = spans
		d.unitStr = d.detectIndentUnit(spans)
	})
	return d.posErr
}

// span is e's position. Edits call positions first (every exported edit
// does, through edit), so the panic marks a programming error only.
func (d *Doc) span(e *etree.Element) span {
	if err := d.positions(); err != nil {
		panic(err)
	}
	return d.spansMap[e]
}

// unit is one level of indentation, as the file has it.
func (d *Doc) unit() string {
	if err := d.positions(); err != nil {
		panic(err)
	}
	return d.unitStr
}

// span locates one element in src. For a self-closing element endTagStart and
// end equal startTagEnd... except end, which is the byte after "/>".
type span struct {
	start       int // '<' of the start tag
	startTagEnd int // byte after the start tag's '>'
	endTagStart int // '<' of "</name>"; for a self-closing element, startTagEnd
	end         int // byte after the element
	selfClosing bool
}

// ParseError reports a file that is not well-formed XML, or not an
// applicationHost.config. Line is 1-based; 0 when unknown.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Parse parses an applicationHost.config. It refuses what it cannot edit
// safely: non-UTF-8 encodings (IIS writes UTF-8), malformed XML, and a root
// element other than <configuration>.
func Parse(src []byte) (*Doc, error) {
	if bytes.HasPrefix(src, []byte{0xFF, 0xFE}) || bytes.HasPrefix(src, []byte{0xFE, 0xFF}) {
		return nil, &ParseError{Msg: "the file is UTF-16; IIS writes applicationHost.config as UTF-8 and this provider edits only UTF-8 files (save it as UTF-8 on the host, or restore it from the IIS configuration history)"}
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, &ParseError{Msg: "the file is empty; restore it from %SystemDrive%\\inetpub\\history or a backup before running Terraform"}
	}
	body := src
	bom := 0
	if bytes.HasPrefix(src, utf8BOM) {
		bom = len(utf8BOM)
		body = src[bom:]
	}
	if !utf8.Valid(body) {
		return nil, &ParseError{Msg: "the file is not valid UTF-8"}
	}

	tree := etree.NewDocument()
	if err := tree.ReadFromBytes(body); err != nil {
		// The position scan names the line of a nesting error.
		if _, serr := scanSpans(body, bom); serr != nil {
			return nil, serr
		}
		return nil, syntaxError(body, err)
	}
	roots := tree.ChildElements()
	if len(roots) == 0 {
		return nil, &ParseError{Msg: "not well-formed XML: the file has no elements; it is not an applicationHost.config"}
	}
	if len(roots) != 1 || roots[0].Tag != "configuration" || roots[0].Space != "" {
		return nil, &ParseError{Msg: "the root element is not <configuration>: this is not an applicationHost.config"}
	}
	return &Doc{src: src, bom: bom, tree: tree, nl: detectNewline(src)}, nil
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

// Bytes returns the document's bytes, exactly as parsed.
func (d *Doc) Bytes() []byte { return d.src }

// Root returns the <configuration> element.
func (d *Doc) Root() *etree.Element { return d.tree.ChildElements()[0] }

// Line returns the 1-based line of e's start tag, for messages.
func (d *Doc) Line(e *etree.Element) int {
	if d.positions() != nil {
		return 0
	}
	return lineAt(d.src, d.span(e).start)
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
