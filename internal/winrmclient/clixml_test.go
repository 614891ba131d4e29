package winrmclient

import (
	"context"
	"strings"
	"testing"
)

func TestDecodeCLIXML(t *testing.T) {
	const objs = `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text unchanged", "The system cannot find the file specified.\r\n", "The system cannot find the file specified.\r\n"},
		{"empty", "", ""},
		{"errors with progress", clixmlErr, clixmlDecoded},
		{"warning verbose debug prefixes", "#< CLIXML\r\n" + objs +
			`<S S="warning">disk almost full_x000D__x000A_</S><S S="verbose">step 1_x000D__x000A_</S><S S="debug">x=1</S><S S="Error">boom_x000D__x000A_</S></Objs>`,
			"WARNING: disk almost full\nVERBOSE: step 1\nDEBUG: x=1\nboom\n"},
		{"escaped underscore and non-ASCII", "#< CLIXML\r\n" + objs +
			`<S S="Error">C:\my_x005F_x0041_dir: caf_x00E9_ _x2713_ _xD834__xDD1E__x000A_</S></Objs>`,
			"C:\\my_x0041_dir: café ✓ 𝄞\n"},
		{"not an escape", "#< CLIXML\r\n" + objs + `<S S="Error">a_xZZZZ_b _x12_</S></Objs>`, "a_xZZZZ_b _x12_"},
		{"XML entities", "#< CLIXML\r\n" + objs + `<S S="Error">&lt;tag&gt; &amp; "q"</S></Objs>`, `<tag> & "q"`},
		{"two documents", "#< CLIXML\r\n" + objs + `<S S="Error">one_x000D__x000A_</S></Objs>` +
			"#< CLIXML\r\n" + objs + `<S S="Error">two_x000D__x000A_</S></Objs>`, "one\ntwo\n"},
		{"text before the marker kept", "cmd.exe said this\r\n#< CLIXML\r\n" + objs + `<S S="Error">then this</S></Objs>`,
			"cmd.exe said this\nthen this"},
		{"truncated document keeps what was read", "#< CLIXML\r\n" + objs + `<S S="Error">first_x000D__x000A_</S><S S="Error">sec`,
			"first\nsec"},
		{"marker without XML", "#< CLIXML\r\nnot xml at all", "not xml at all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecodeCLIXML(tc.in); got != tc.want {
				t.Errorf("DecodeCLIXML() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCLIXMLSplitAcrossChunks sends a CLIXML stderr through the whole
// client in stream chunks cut inside an escape, inside a tag and inside a
// UTF-8 sequence: each chunk is base64-encoded on its own, and only the
// joined stream can be decoded.
func TestCLIXMLSplitAcrossChunks(t *testing.T) {
	doc := strings.Replace(clixmlErr, "does not exist", "n’existe pas", 1)
	want := strings.Replace(clixmlDecoded, "does not exist", "n’existe pas", 1)
	for _, tc := range []struct {
		name string
		at   int
	}{
		{"inside the marker", 4},
		{"inside an escape", strings.Index(doc, "_x000D_") + 3},
		{"inside a tag", strings.Index(doc, `<S S="Error">`) + 5},
		{"inside a UTF-8 sequence", strings.Index(doc, "’") + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeHost(t)
			f.stderr = []string{doc[:tc.at], doc[tc.at:]}
			_, cfg := f.start(t, false)
			res, err := mustNew(t, cfg).RunPowerShell(context.Background(), "x", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.Stderr); got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
		})
	}
	if isCLIXML([]byte("plain error")) || !isCLIXML([]byte("\r\n#< CLIXML\r\n<Objs/>")) {
		t.Error("isCLIXML misclassifies")
	}
}
