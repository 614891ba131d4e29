package remotefile

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
)

// clixmlHeader starts stderr when powershell.exe runs a command given with
// -EncodedCommand and its output is redirected: it serializes the error (and
// progress) streams as CLIXML, PowerShell's serialization format (MS-PSRP
// 2.2.5; pywinrm's Session._clean_error_msg handles the same output).
var clixmlHeader = []byte("#< CLIXML")

// clixmlEscape is the _xHHHH_ escape CLIXML strings use for characters XML
// cannot hold, such as CR and LF (MS-PSRP 2.2.5.3.2).
var clixmlEscape = regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`)

// readableStderr turns stderr into text for an error message: the error
// records of a CLIXML stream, or the bytes as they are. Written by hand
// because no library here decodes CLIXML; it reads only the <S S="Error">
// strings, which are all an error message needs.
func readableStderr(b []byte) string {
	b = bytes.TrimSpace(b)
	if !bytes.HasPrefix(b, clixmlHeader) {
		return string(b)
	}
	dec := xml.NewDecoder(bytes.NewReader(b[len(clixmlHeader):]))
	var lines []string
	inError := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inError = false
			if t.Name.Local == "S" {
				for _, a := range t.Attr {
					if a.Name.Local == "S" && a.Value == "Error" {
						inError = true
					}
				}
			}
		case xml.CharData:
			if inError {
				lines = append(lines, clixmlEscape.ReplaceAllStringFunc(string(t), func(m string) string {
					v, _ := strconv.ParseUint(m[2:6], 16, 16)
					return string(rune(v))
				}))
			}
		case xml.EndElement:
			inError = false
		}
	}
	if len(lines) == 0 {
		return string(b)
	}
	return strings.Join(strings.Fields(strings.Join(lines, "")), " ")
}
