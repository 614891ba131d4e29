package apphost

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// FuzzEdit drives create and delete with arbitrary files, extensions and
// locations. Invariants: no panic; an input that does not parse is refused;
// an accepted edit parses, passes IIS's rules when the input did, changes
// only the intended lines (the entry, the collection's opening line when it
// was self-closing, and elements it had to add), and delete gives back the
// input byte for byte.
func FuzzEdit(f *testing.F) {
	// The real files' request filtering sections, in a small document: the
	// fuzzer mutates 74 KB inputs too slowly to explore; the whole files are
	// the unit tests' work.
	asp := section(f, testfixtures.Read(f, testfixtures.ASPNET))
	base := section(f, testfixtures.Read(f, testfixtures.Base))
	small := []byte("<?xml version=\"1.0\"?>\n<configuration>\n  <system.webServer>\n    <security>\n      <requestFiltering>\n        <fileExtensions allowUnlisted=\"false\"><clear/><add fileExtension=\".a\" allowed=\"true\"/></fileExtensions>\n      </requestFiltering>\n    </security>\n  </system.webServer>\n  <location path=\"S\"><system.webServer/></location>\n</configuration>\n")
	for _, seed := range []struct {
		doc      []byte
		ext, loc string
	}{
		{asp, ".config", ""}, {asp, ".CONFIG", "Default Web Site"}, {base, ".mdb", "Default Web Site/SMS_DP_SMSPKG$"},
		{bytes.ReplaceAll(base, []byte("\r\n"), []byte("\n")), ".cs", "Default Web Site"},
		{small, ".a", ""}, {small, ".b", "S"}, {small, ".a", "S/T"},

		{[]byte("<configuration/>"), ".x", ""}, {[]byte("<configuration><location path=\"\"/></configuration>"), ".y", "A"},
	} {
		f.Add(seed.doc, seed.ext, seed.loc, true)
	}
	f.Fuzz(func(t *testing.T, doc []byte, ext, loc string, allowed bool) {
		d, err := Parse(doc)
		if err != nil {
			return // refused: nothing could be written
		}
		validBefore := Validate(doc) == nil
		out, own, err := d.CreateFileExtension(loc, ext, allowed)
		if err != nil {
			return
		}
		nd, err := Parse(out)
		if err != nil {
			t.Fatalf("create produced a file that does not parse: %v", err)
		}
		if validBefore && !strings.ContainsAny(loc, "\x00") {
			if err := Validate(out); err != nil && sameLocationUnique(d, loc) {
				t.Fatalf("create broke IIS's rules: %v", err)
			}
		}
		rule, err := nd.FileExtension(loc, ext)
		if err != nil || rule == nil || rule.Allowed != allowed {
			t.Fatalf("after create the rule reads %+v, %v", rule, err)
		}
		if own.Adopted {
			if removed, added := testfixtures.LineDiff(doc, out); len(removed) > 1 || len(added) > 1 {
				t.Fatalf("adopting changed more than the entry's line: %q -> %q", removed, added)
			}
		} else if err := onlyAddedMarkup(doc, out); err != nil {
			t.Fatal(err)
		}
		back, err := nd.DeleteFileExtension(loc, ext, own)
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		if !bytes.Equal(back, doc) && !own.Adopted {
			// Pruning restores the input exactly, except where the input had
			// empty open elements (`<x></x>`) or a `/>` without its space,
			// which come back in IIS's own form; the meaning is the same.
			bd, err := Parse(back)
			if err != nil {
				t.Fatalf("delete produced a file that does not parse: %v", err)
			}
			if r, _ := bd.FileExtension(loc, ext); r != nil {
				t.Fatalf("delete left the rule behind")
			}
		}
		if own.Adopted && !bytes.Equal(back, doc) {
			t.Fatalf("delete of an adopted entry did not restore the input bytes")
		}
	})
}

// sameLocationUnique: IIS's rules can already be broken for a location
// written twice in different spellings; the fuzzer only holds the editor to
// them where the location is unambiguous.
func sameLocationUnique(d *Doc, loc string) bool {
	n := 0
	for _, l := range d.Root().SelectElements("location") {
		if sameLocation(l.SelectAttrValue("path", ""), loc) {
			n++
		}
	}
	return n <= 1
}

// tokens lists a document's XML tokens, white space left out; a
// self-closing element and its opened form give the same tokens.
func tokens(b []byte) []string {
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, utf8BOM)))
	var out []string
	for {
		t, err := dec.RawToken()
		if err != nil {
			return out
		}
		switch v := t.(type) {
		case xml.StartElement:
			out = append(out, fmt.Sprintf("<%s %v>", v.Name.Local, v.Attr))
		case xml.EndElement:
			out = append(out, "</"+v.Name.Local+">")
		case xml.CharData:
			if s := strings.TrimSpace(string(v)); s != "" {
				out = append(out, "text:"+s)
			}
		case xml.Comment:
			out = append(out, "comment:"+string(v))
		case xml.ProcInst:
			out = append(out, "pi:"+v.Target+string(v.Inst))
		case xml.Directive:
			out = append(out, "directive:"+string(v))
		}
	}
}

var ourTag = regexp.MustCompile(`^</?(add|remove|location|system\.webServer|security|requestFiltering|fileExtensions)[ >]`)

// onlyAddedMarkup checks that out's tokens are in's plus one run of the
// elements an add writes.
func onlyAddedMarkup(in, out []byte) error {
	a, b := tokens(in), tokens(out)
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	if removed := a[p : len(a)-s]; len(removed) > 0 {
		return fmt.Errorf("create removed or changed tokens %q", removed)
	}
	for _, t := range b[p : len(b)-s] {
		if !ourTag.MatchString(t) {
			return fmt.Errorf("create added %q, which is not one of its own elements", t)
		}
	}
	return nil
}

// section cuts a fixture down to its <system.webServer><security> block,
// keeping its bytes, inside <configuration>.
func section(t testing.TB, b []byte) []byte {
	start := bytes.Index(b, []byte("<requestFiltering>"))
	end := bytes.Index(b, []byte("</requestFiltering>"))
	if start < 0 || end < 0 {
		t.Fatal("fixture has no requestFiltering section")
	}
	start = bytes.LastIndexByte(b[:start], '\n') + 1
	end += len("</requestFiltering>\r\n")
	var out bytes.Buffer
	out.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n    <system.webServer>\r\n        <security>\r\n")
	out.Write(b[start:end])
	out.WriteString("        </security>\r\n    </system.webServer>\r\n    <location path=\"Default Web Site\">\r\n        <system.webServer>\r\n        </system.webServer>\r\n    </location>\r\n</configuration>\r\n")
	return out.Bytes()
}
