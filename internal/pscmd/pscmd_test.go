package pscmd

import (
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, script := range []string{
		"",
		"$x = [Console]::In.ReadToEnd()",
		"Write-Output 'ünïcödé ✓ 𝄞'", // a surrogate pair too
		strings.Repeat("a", MaxScriptChars),
	} {
		line, err := Encode(script)
		if err != nil {
			t.Fatalf("Encode(%d chars): %v", len(script), err)
		}
		if len(line) > 8191 {
			t.Fatalf("command line is %d characters, over cmd.exe's 8191", len(line))
		}
		got, err := Decode(line)
		if err != nil || got != script {
			t.Fatalf("Decode(Encode(%q)) = %q, %v", script, got, err)
		}
	}
}

func TestEncodeRefusesLongScripts(t *testing.T) {
	if _, err := Encode(strings.Repeat("a", MaxScriptChars+1)); err == nil || !strings.Contains(err.Error(), "stdin") {
		t.Fatalf("want an error pointing at stdin, got %v", err)
	}
}

func TestDecodeRejectsForeignCommandLines(t *testing.T) {
	for _, line := range []string{
		"cmd.exe /c dir",
		"powershell.exe -EncodedCommand QQA=", // the library's own form, without our flags
		prefix + "!!!",
		prefix + "QQ==", // odd byte count
	} {
		if _, err := Decode(line); err == nil {
			t.Errorf("Decode(%q) succeeded", line)
		}
	}
}
