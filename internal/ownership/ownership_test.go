package ownership

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const file = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- header -->\r\n<configuration>\r\n    <system.webServer />\r\n</configuration>\r\n"

func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
	}
}

func entry(key, undo string, owners ...Owner) Entry {
	return Entry{Kind: "iis_request_filtering_extension", Location: "default web site/sms_dp_smspkg$", Key: key, Before: "allowed=false", Undo: json.RawMessage(undo), Owners: owners}
}

func TestRenderParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
	}{
		{"one entry", Record{Entries: []Entry{entry(".config", `{"adopted":true}`, Owner{ID: "a1", Want: "allowed=true"})}}},
		{"dashes and comment closers in strings", Record{Entries: []Entry{entry("--x-->", `{"cut":{"from":-1,"text":"<!-- -->"}}`, Owner{ID: "a-b", Want: "--", From: "build-01:/src/dp--config", Resource: `iis_request_filtering_extension "--x-->"`})}}},
		{"several", Record{Entries: []Entry{entry(".config", `{}`, Owner{ID: "1", Want: "allowed=true"}), entry(".mdb", `{}`, Owner{ID: "2", Want: "allowed=true"}, Owner{ID: "3", Want: "allowed=true"})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render([]byte(file), tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, out)
			if bytes.Contains(out[bytes.Index(out, []byte(marker))+4:bytes.LastIndex(out, []byte("-->"))], []byte("--")) {
				t.Fatalf("comment holds --:\n%s", out)
			}
			if !bytes.HasSuffix(out, []byte("    -->\r\n</configuration>\r\n")) {
				t.Fatalf("record not the last child of <configuration> with the file's CRLF:\n%q", out)
			}
			got, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Entries) != len(tt.rec.Entries) {
				t.Fatalf("got %d entries, want %d", len(got.Entries), len(tt.rec.Entries))
			}
			for i := range got.Entries {
				g, w := normal(t, got.Entries[i]), normal(t, tt.rec.Entries[i])
				if !bytes.Equal(g, w) {
					t.Errorf("entry %d:\n got %s\nwant %s", i, g, w)
				}
			}
			// Replacing it in place, then emptying it, gives back the file.
			again, err := Render(out, got)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("re-render changed the bytes (%v)", err)
			}
			back, err := Render(out, Record{})
			if err != nil || string(back) != file {
				t.Fatalf("an empty record did not give back the original bytes (%v):\n%q", err, back)
			}
		})
	}
}

// normal is an entry as JSON with its undo decoded and encoded again: a
// parsed undo keeps the escapes the record wrote.
func normal(t *testing.T, e Entry) []byte {
	t.Helper()
	var u any
	if err := json.Unmarshal(e.Undo, &u); err != nil {
		t.Fatal(err)
	}
	e.Undo, _ = json.Marshal(u)
	b, _ := json.Marshal(e)
	return b
}

func TestParseDamaged(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		line       int
	}{
		{"not json", "    {\"kind\":\n", 6},
		{"unknown key", `    {"kind":"k","location":"","key":"x","before":"","owners":[],"extra":1}` + "\n", 6},
		{"duplicate", `    {"kind":"k","location":"","key":"x","before":"","owners":[]}` + "\n" + `    {"kind":"k","location":"","key":"X","before":"","owners":[]}` + "\n", 7},
	} {
		name, body := tt.name, tt.body
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(file, "</configuration>", "    "+header+"\r\n"+body+"    -->\r\n</configuration>", 1)
			_, err := Parse([]byte(src))
			var e *Error
			if !errors.As(err, &e) || e.Line != tt.line || !strings.Contains(err.Error(), "tf-backup") {
				t.Fatalf("want a damage error at line %d naming the backups, got %v", tt.line, err)
			}
		})
	}
}

func subject(current string) Subject {
	return Subject{Kind: "iis_request_filtering_extension", Location: "Default Web Site/SMS_DP_SMSPKG$", Key: ".CONFIG",
		Holds: func(w string) bool { return w == current }, Current: current}
}

func TestClaim(t *testing.T) {
	a := Owner{ID: "A", Want: "allowed=true", Resource: `iis_request_filtering_extension ".config"`}
	tests := []struct {
		name      string
		owners    []Owner
		current   string
		me        Owner
		takenOver []string
		conflict  string   // the owner the error names
		owners2   []string // owner ids after the claim
	}{
		{"first touch", nil, "allowed=false", Owner{ID: "B", Want: "allowed=true"}, nil, "", []string{"B"}},
		{"same value: both manage it (a renamed resource)", []Owner{a}, "allowed=true", Owner{ID: "B", Want: "allowed=true"}, nil, "", []string{"A", "B"}},
		{"other value held by the file: conflict", []Owner{a}, "allowed=true", Owner{ID: "B", Want: "allowed=false"}, nil, "A", nil},
		{"other value the file no longer holds: stale, dropped", []Owner{a}, "allowed=false", Owner{ID: "B", Want: "allowed=false"}, nil, "", []string{"B"}},
		{"same value, entry deleted by hand: stale, dropped", []Owner{a}, "absent", Owner{ID: "B", Want: "allowed=true"}, nil, "", []string{"B"}},
		{"taken over by an import", []Owner{a}, "allowed=true", Owner{ID: "B", Want: "allowed=false"}, []string{"A"}, "", []string{"B"}},
		{"own update", []Owner{a}, "allowed=true", Owner{ID: "A", Want: "allowed=false"}, nil, "", []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{}
			if tt.owners != nil {
				r.Entries = []Entry{entry(".config", `{"adopted":true}`, tt.owners...)}
			}
			e, err := r.Claim(subject(tt.current), tt.me, tt.takenOver)
			if tt.conflict != "" {
				var c *ConflictError
				if !errors.As(err, &c) || len(c.Others) != 1 || c.Others[0].ID != tt.conflict || !strings.Contains(err.Error(), `".config"`) {
					t.Fatalf("want a conflict naming %s, got %v", tt.conflict, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range e.Owners {
				ids = append(ids, o.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.owners2, ",") {
				t.Fatalf("owners %v, want %v", ids, tt.owners2)
			}
			if tt.owners == nil && (e.Before != tt.current || e.Undo != nil) {
				t.Fatalf("a first touch records the value before (%q) and no undo yet, got %q %s", tt.current, e.Before, e.Undo)
			}
			fresh := tt.owners != nil && len(tt.owners2) == 1 && tt.owners2[0] == tt.me.ID && tt.me.ID != "A" && tt.takenOver == nil
			switch {
			case fresh && (e.Undo != nil || e.Before != tt.current):
				t.Fatalf("every earlier claim lost to a hand edit: the claim starts afresh, got undo %s before %q", e.Undo, e.Before)
			case tt.owners != nil && !fresh && string(e.Undo) != `{"adopted":true}`:
				t.Fatalf("the undo of the first touch must survive, got %s", e.Undo)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	a := Owner{ID: "A", Want: "allowed=true"}
	b := Owner{ID: "B", Want: "allowed=true"}
	tests := []struct {
		name      string
		owners    []Owner
		current   string
		me        string
		takenOver []string
		last      bool
	}{
		{"sole owner gives it back", []Owner{a}, "allowed=true", "A", nil, true},
		{"another owner keeps it (rename)", []Owner{a, b}, "allowed=true", "A", nil, false},
		{"sole owner after a hand edit still gives it back", []Owner{a}, "allowed=false", "A", nil, true},
		{"import took over from a removed resource", []Owner{a}, "allowed=true", "I", []string{"A"}, true},
		{"not an owner, another owns it", []Owner{b}, "allowed=true", "A", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{Entries: []Entry{entry(".config", `{"adopted":true}`, tt.owners...)}}
			e, last := r.Release(subject(tt.current), tt.me, tt.takenOver)
			if e == nil || last != tt.last {
				t.Fatalf("last = %v, want %v", last, tt.last)
			}
			if last && (len(r.Entries) != 0 || string(e.Undo) != `{"adopted":true}`) {
				t.Fatalf("the last release takes the entry out and returns its undo: %v %s", r.Entries, e.Undo)
			}
			if !last && r.Find(e.Kind, e.Location, e.Key) == nil {
				t.Fatal("the entry must stay while others manage it")
			}
		})
	}
	var empty Record
	if e, _ := empty.Release(subject("allowed=true"), "A", nil); e != nil {
		t.Fatal("an unknown entry is nil: the caller falls back to its cache")
	}
}
