package apphost

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// attrPos locates one attribute inside a start tag.
type attrPos struct {
	name       string
	lead       int // first whitespace byte before the name
	valueStart int // first byte of the value, after the opening quote
	valueEnd   int // the closing quote
	quote      byte
}

// scanAttrs returns the attributes of e's start tag with their byte positions.
// Written by hand because no XML library reports attribute offsets; the tag
// has already been accepted by encoding/xml, so this scanner only needs to
// follow the grammar, not validate it.
func (d *Doc) scanAttrs(e *etree.Element) []attrPos {
	sp := d.span(e)
	b := d.src
	i := sp.start + 1
	for i < sp.startTagEnd && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' {
		i++
	}
	var out []attrPos
	for i < sp.startTagEnd {
		lead := i
		for i < sp.startTagEnd && isSpace(b[i]) {
			i++
		}
		if b[i] == '/' || b[i] == '>' {
			break
		}
		ns := i
		for b[i] != '=' && !isSpace(b[i]) {
			i++
		}
		name := string(b[ns:i])
		for isSpace(b[i]) || b[i] == '=' {
			i++
		}
		q := b[i]
		vs := i + 1
		ve := vs + bytes.IndexByte(b[vs:sp.startTagEnd], q)
		out = append(out, attrPos{name: name, lead: lead, valueStart: vs, valueEnd: ve, quote: q})
		i = ve + 1
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (d *Doc) findAttr(e *etree.Element, name string) (attrPos, bool) {
	for _, a := range d.scanAttrs(e) {
		if a.name == name {
			return a, true
		}
	}
	return attrPos{}, false
}

// splice returns src with [from, to) replaced by text.
func (d *Doc) splice(from, to int, text string) []byte {
	out := make([]byte, 0, len(d.src)-(to-from)+len(text))
	out = append(out, d.src[:from]...)
	out = append(out, text...)
	return append(out, d.src[to:]...)
}

// setAttr sets an attribute's value in place, or appends the attribute after
// the last one when it is absent.
func (d *Doc) setAttr(e *etree.Element, name, value string) []byte {
	if a, ok := d.findAttr(e, name); ok {
		return d.splice(a.valueStart, a.valueEnd, escapeAttr(value, a.quote))
	}
	attrs := d.scanAttrs(e)
	at := d.span(e).start + 1 + len(e.FullTag())
	if len(attrs) > 0 {
		at = attrs[len(attrs)-1].valueEnd + 1
	}
	return d.splice(at, at, fmt.Sprintf(` %s="%s"`, name, escapeAttr(value, '"')))
}

// removeAttr deletes an attribute and the whitespace before it.
func (d *Doc) removeAttr(e *etree.Element, name string) []byte {
	a, ok := d.findAttr(e, name)
	if !ok {
		return d.src
	}
	return d.splice(a.lead, a.valueEnd+1, "")
}

func escapeAttr(v string, quote byte) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
	if quote == '\'' {
		r = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
	}
	return r.Replace(v)
}

// lineIsolated reports whether [from, to) has only spaces or tabs before it on
// its line and only whitespace after it up to the line ending: a whole line.
func (d *Doc) lineIsolated(from, to int) (lineFrom, lineTo int, ok bool) {
	ls := lineStart(d.src, from)
	if len(bytes.Trim(d.src[ls:from], " \t")) != 0 {
		return 0, 0, false
	}
	nl := bytes.IndexByte(d.src[to:], '\n')
	if nl < 0 {
		return 0, 0, false
	}
	if len(bytes.Trim(d.src[to:to+nl], " \t\r")) != 0 {
		return 0, 0, false
	}
	return ls, to + nl + 1, true
}

// removeElement deletes e; when e stands on lines of its own, those whole
// lines go, which is exactly what insertChild added.
func (d *Doc) removeElement(e *etree.Element) []byte {
	from, to := d.removalSpan(e)
	return d.splice(from, to, "")
}

// removalSpan is the byte range removeElement takes away: e's whole lines
// when it stands alone on them, e and the line break before it when it is
// first on its line but followed by more, or e alone.
func (d *Doc) removalSpan(e *etree.Element) (from, to int) {
	sp := d.span(e)
	if from, to, ok := d.lineIsolated(sp.start, sp.end); ok {
		return from, to
	}
	// First on its line but followed by more (a closing tag): take the line
	// break before it too, the inverse of insertChild's inline case.
	if ls := lineStart(d.src, sp.start); ls > 0 && len(bytes.Trim(d.src[ls:sp.start], " \t")) == 0 {
		from := ls - 1
		if from > 0 && d.src[from-1] == '\r' {
			from--
		}
		return from, sp.end
	}
	return sp.start, sp.end
}

// insertChild appends lines (already indented relative to each other) as the
// last children of parent, indented like parent's other children. A
// self-closing parent is opened up: `<x a="b" />` becomes `<x a="b">`, the
// lines, and `</x>` on its own line.
func (d *Doc) insertChild(parent *etree.Element, lines []string) []byte {
	sp := d.span(parent)
	pIndent, _ := d.indent(parent)
	cIndent := pIndent + d.unit()
	if kids := parent.ChildElements(); len(kids) > 0 {
		if ind, ok := d.indent(kids[len(kids)-1]); ok {
			cIndent = ind
		}
	}
	var block strings.Builder
	for _, l := range lines {
		block.WriteString(cIndent + l + d.nl)
	}
	switch {
	case sp.selfClosing:
		// Drop "/" and the spaces before it, keep '>'.
		cut := d.selfClosingCut(parent)
		return d.splice(cut, sp.end, ">"+d.nl+block.String()+pIndent+"</"+parent.FullTag()+">")
	default:
		ls := lineStart(d.src, sp.endTagStart)
		if len(bytes.Trim(d.src[ls:sp.endTagStart], " \t")) == 0 {
			return d.splice(ls, ls, block.String())
		}
		// "</x>" shares its line with content: each new line starts with a
		// line break and "</x>" stays where it was, right after the last one.
		var inline strings.Builder
		for _, l := range lines {
			inline.WriteString(d.nl + cIndent + l)
		}
		return d.splice(sp.endTagStart, sp.endTagStart, inline.String())
	}
}

// selfClosingCut is where the "/>" of a self-closing start tag begins,
// spaces before it included: what insertChild replaces when it opens the
// element up.
func (d *Doc) selfClosingCut(e *etree.Element) int {
	cut := d.span(e).startTagEnd - 2
	for isSpace(d.src[cut-1]) {
		cut--
	}
	return cut
}

// selfClosingTail returns the bytes that close a self-closing start tag
// (" />", "/>"), so that an element opened up by insertChild can be closed
// again exactly as it was.
func (d *Doc) selfClosingTail(e *etree.Element) string {
	return string(d.src[d.selfClosingCut(e):d.span(e).startTagEnd])
}

// collapse turns an element whose content is only whitespace back into IIS's
// self-closing form `<x a="b" />`: the inverse of opening it up in insertChild.
func (d *Doc) collapse(e *etree.Element) []byte {
	return d.collapseWith(e, " />")
}

// collapseWith is collapse with the given end of the start tag, for an
// element whose original form was recorded.
func (d *Doc) collapseWith(e *etree.Element, tail string) []byte {
	sp := d.span(e)
	if sp.selfClosing {
		return d.src
	}
	return d.splice(sp.startTagEnd-1, sp.end, tail)
}

// isEmpty reports whether e has no content but whitespace.
func isEmpty(e *etree.Element) bool {
	for _, t := range e.Child {
		if c, ok := t.(*etree.CharData); ok && c.IsWhitespace() {
			continue
		}
		return false
	}
	return true
}
