package ownership

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// header opens the record's comment; its first line says what it is to a
// person who opens the file.
const header = "<!-- terraform-provider-iis ownership v1 (written by Terraform with each change it makes; do not edit: see the provider's README)"

// marker finds the record: the header up to its version.
const marker = "<!-- terraform-provider-iis ownership v1"

// Owner is one manager of an entry: a resource instance somewhere, known by
// the random id it keeps in its private state, with what it wants the entry
// to be and, for messages, how it names the entry and where it ran.
type Owner struct {
	ID   string `json:"id"`
	Want string `json:"want"`
	// Resource is the resource type with the key as its configuration
	// spells it (`iis_request_filtering_extension ".CONFIG"`): Terraform
	// does not tell a provider a resource's address.
	Resource string `json:"resource,omitempty"`
	Host     string `json:"host,omitempty"`  // the host as that resource spelled it
	From     string `json:"from,omitempty"`  // machine and working directory of the run that wrote it
	Since    string `json:"since,omitempty"` // when it claimed the entry, RFC 3339 UTC
}

// Describe names the owner for a person deciding what to do about it.
func (o Owner) Describe() string {
	var b strings.Builder
	b.WriteString(o.Resource)
	if b.Len() == 0 {
		b.WriteString("a resource")
	}
	if o.Host != "" {
		fmt.Fprintf(&b, " (host %q)", o.Host)
	}
	fmt.Fprintf(&b, ", which wants %s", o.Want)
	if o.From != "" {
		fmt.Fprintf(&b, ", managed from %s", o.From)
	}
	if o.Since != "" {
		fmt.Fprintf(&b, " since %s", o.Since)
	}
	fmt.Fprintf(&b, " (owner id %s)", o.ID)
	return b.String()
}

// Entry is what the provider knows about one managed entry of the file.
type Entry struct {
	Kind     string `json:"kind"`     // the resource type that manages it
	Location string `json:"location"` // canonical: see Canonical
	Key      string `json:"key"`      // canonical
	// Before is the entry as it was before the provider first touched it,
	// for messages ("allowed=false", "absent").
	Before string `json:"before"`
	// Undo is what the resource type needs to give the entry back as it
	// was before: its create's record (apphost's *Ownership types).
	Undo   json.RawMessage `json:"undo,omitempty"`
	Owners []Owner         `json:"owners"`
}

func (e *Entry) is(kind, location, key string) bool {
	return e.Kind == kind && e.Location == Canonical(location) && e.Key == Canonical(key)
}

// Canonical is a location path or key as the record stores it: IIS compares
// location paths, file extensions and hidden segments case-insensitively,
// and ignores a location path's leading and trailing slashes.
func Canonical(s string) string { return strings.ToLower(strings.Trim(s, "/")) }

// Record is every entry the provider manages in one file.
type Record struct {
	Entries []Entry
}

// Find returns the entry for kind, location and key, or nil.
func (r *Record) Find(kind, location, key string) *Entry {
	for i := range r.Entries {
		if r.Entries[i].is(kind, location, key) {
			return &r.Entries[i]
		}
	}
	return nil
}

func (r *Record) remove(e *Entry) {
	r.Entries = slices.DeleteFunc(r.Entries, func(x Entry) bool { return x.is(e.Kind, e.Location, e.Key) })
}

// Error is a record that cannot be read: it was edited by hand.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("the ownership record of terraform-provider-iis (the comment at line %d that starts %q) is damaged: %v. "+
		"It was edited by hand: put back the backup the provider kept beside the file (applicationHost.config.tf-backup-*), or restore its lines; "+
		"deleting the comment makes destroy fall back to each resource's own state", e.Line, marker, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// span locates the record's comment in src: from the start of its first
// line to the end of its last (line break included); ok is false when the
// file has none.
type span struct{ from, bodyFrom, bodyTo, to int }

func locate(src []byte) (span, bool, error) {
	i := bytes.Index(src, []byte(marker))
	if i < 0 {
		return span{}, false, nil
	}
	end := bytes.Index(src[i:], []byte("-->"))
	if end < 0 {
		return span{}, false, &Error{Line: lineOf(src, i), Err: fmt.Errorf("the comment does not end")}
	}
	end += i
	s := span{from: lineStart(src, i), bodyTo: end, to: end + len("-->")}
	if nl := bytes.IndexByte(src[i:end], '\n'); nl >= 0 {
		s.bodyFrom = i + nl + 1
	} else {
		s.bodyFrom = end
	}
	// Take the rest of the closing line when it holds nothing else.
	rest := s.to
	for rest < len(src) && (src[rest] == ' ' || src[rest] == '\t' || src[rest] == '\r') {
		rest++
	}
	if rest < len(src) && src[rest] == '\n' {
		s.to = rest + 1
	}
	return s, true, nil
}

func lineStart(src []byte, i int) int {
	j := i
	for j > 0 && (src[j-1] == ' ' || src[j-1] == '\t') {
		j--
	}
	if j == 0 || src[j-1] == '\n' {
		return j
	}
	return i
}

func lineOf(src []byte, i int) int { return bytes.Count(src[:i], []byte("\n")) + 1 }

// Parse reads the record from a file's bytes; a file without one has an
// empty record.
func Parse(src []byte) (Record, error) {
	s, ok, err := locate(src)
	if err != nil || !ok {
		return Record{}, err
	}
	var r Record
	for n, line := range strings.Split(string(src[s.bodyFrom:s.bodyTo]), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var e Entry
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return Record{}, &Error{Line: lineOf(src, s.bodyFrom) + n, Err: err}
		}
		if e.Kind == "" || r.Find(e.Kind, e.Location, e.Key) != nil {
			return Record{}, &Error{Line: lineOf(src, s.bodyFrom) + n, Err: fmt.Errorf("an entry without a kind, or a second entry for %s %q at %q", e.Kind, e.Key, e.Location)}
		}
		r.Entries = append(r.Entries, e)
	}
	return r, nil
}

// Render returns src with its record replaced by r: the comment goes where
// the old one was, or becomes the last child of <configuration>; an empty
// record removes the comment, so that giving back every entry gives back
// the original bytes.
func Render(src []byte, r Record) ([]byte, error) {
	s, ok, err := locate(src)
	if err != nil {
		return nil, err
	}
	if !ok {
		if len(r.Entries) == 0 {
			return src, nil
		}
		end := bytes.LastIndex(src, []byte("</configuration>"))
		if end < 0 {
			return nil, fmt.Errorf("the file has no </configuration> to put the ownership record in")
		}
		s = span{from: lineStart(src, end)}
		s.to = s.from
	}
	text, err := r.text(lineEnding(src))
	if err != nil {
		return nil, err
	}
	if len(r.Entries) == 0 {
		text = ""
	}
	out := make([]byte, 0, len(src)+len(text))
	out = append(out, src[:s.from]...)
	out = append(out, text...)
	return append(out, src[s.to:]...), nil
}

// lineEnding is the file's own: CRLF on Windows, LF when someone saved it so.
func lineEnding(src []byte) string {
	if bytes.Contains(src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// text is the comment, one JSON object a line, indented as IIS indents the
// children of <configuration>.
func (r Record) text(nl string) (string, error) {
	var b strings.Builder
	b.WriteString("    " + header + nl)
	for _, e := range r.Entries {
		j, err := json.Marshal(e) // escapes <, > and &
		if err != nil {
			return "", err
		}
		b.WriteString("    " + dashFree(j) + nl)
	}
	b.WriteString("    -->" + nl)
	return b.String(), nil
}

// dashFree writes every '-' inside the JSON strings of j as \u002d, which
// means the same to a JSON reader: "--" may not appear in an XML comment
// (XML 1.0, section 2.5). Outside strings a '-' is a minus sign, never two
// in a row.
func dashFree(j []byte) string {
	var b strings.Builder
	in, esc := false, false
	for _, c := range j {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in && c == '-':
			b.WriteString(`\u002d`)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
