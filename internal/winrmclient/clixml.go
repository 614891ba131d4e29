package winrmclient

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"unicode/utf16"
)

// clixmlMarker starts PowerShell's serialized stderr. powershell.exe writes
// its error stream this way when stderr is redirected (as under WinRM):
//
//	#< CLIXML
//	<Objs Version="1.1.0.1" xmlns="..."><S S="Error">Line_x000D__x000A_</S>...</Objs>
const clixmlMarker = "#< CLIXML"

// DecodeCLIXML turns PowerShell's CLIXML error stream into the text a user
// would have seen in a console. Text that is not CLIXML is returned
// unchanged. Progress records and other objects are dropped; warning, verbose
// and debug lines get their console prefix. CRLF becomes LF.
//
// Pass the whole stream: a document split across Receive chunks is only
// decodable once the chunks are joined. Several documents in one stream and
// a truncated last document (a killed process) are handled; what cannot be
// parsed is kept as raw text rather than lost.
func DecodeCLIXML(s string) string {
	i := strings.Index(s, clixmlMarker)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	rest := s[i+len(clixmlMarker):]
	for {
		seg := rest
		next := strings.Index(rest, clixmlMarker)
		if next >= 0 {
			seg = rest[:next]
		}
		decodeCLIXMLDocument(&b, seg)
		if next < 0 {
			break
		}
		rest = rest[next+len(clixmlMarker):]
	}
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

// isCLIXML reports whether a stderr stream starts with the CLIXML marker.
func isCLIXML(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(b, "\ufeff \t\r\n"), []byte(clixmlMarker))
}

// decodeCLIXMLDocument writes the strings of one <Objs> document.
func decodeCLIXMLDocument(b *strings.Builder, doc string) {
	d := xml.NewDecoder(strings.NewReader(doc))
	var (
		depth    int
		inS      bool
		stream   string
		text     strings.Builder
		lastKind string
		wrote    bool
		sawRoot  bool
	)
	flush := func() {
		if !inS {
			return
		}
		inS = false
		s := decodeXMLNameEscapes(text.String())
		text.Reset()
		if s == "" {
			return
		}
		kind := strings.ToLower(stream)
		// Separate records of different streams that lack a final newline.
		if wrote && kind != lastKind && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
		switch kind {
		case "warning":
			s = "WARNING: " + s
		case "verbose":
			s = "VERBOSE: " + s
		case "debug":
			s = "DEBUG: " + s
		}
		b.WriteString(s)
		lastKind, wrote = kind, true
	}
	for {
		tok, err := d.Token()
		if err != nil {
			// A truncated document still yields the text read so far.
			flush()
			if !sawRoot {
				b.WriteString(strings.TrimSpace(doc))
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			sawRoot = true
			switch {
			case depth == 2 && t.Name.Local == "S":
				inS, stream = true, attr(t.Attr, "S")
			case depth == 2:
				// <Obj S="progress"> and other records: nothing to show.
				if d.Skip() != nil {
					return
				}
				depth--
			}
		case xml.EndElement:
			if depth == 2 {
				flush()
			}
			depth--
			if depth == 0 {
				// Keep anything after the document that is not whitespace.
				if tail := strings.TrimSpace(doc[d.InputOffset():]); tail != "" {
					b.WriteString(tail)
				}
				return
			}
		case xml.CharData:
			if inS {
				text.Write(t)
			}
		}
	}
}

// decodeXMLNameEscapes undoes XmlConvert.EncodeName-style escapes: _xHHHH_
// is one UTF-16 code unit (a surrogate pair is two escapes in a row), and a
// literal "_x" is written as _x005F_x.
func decodeXMLNameEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	var units []uint16
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				units = append(units, uint16(v))
				i += 7
				continue
			}
		}
		flush()
		b.WriteByte(s[i])
		i++
	}
	flush()
	return b.String()
}
