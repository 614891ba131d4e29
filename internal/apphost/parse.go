package apphost

import (
	"bytes"
	"fmt"
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
