package remotefile

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
)

// The loader must fit the cmd.exe command line once encoded; scripts and data
// travel on stdin.
func TestLoaderFitsOnTheCommandLine(t *testing.T) {
	line, err := pscmd.Encode(Loader)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loader command line: %d characters (cmd.exe limit 8191)", len(line))
}

func TestFramingRoundTrip(t *testing.T) {
	payload := []byte("<configuration>\r\n</configuration>\r\n")
	in, err := EncodeRequest(WriteScript, WriteParams{Path: `%windir%\x`, KeepBackups: 3}, payload)
	if err != nil {
		t.Fatal(err)
	}
	script, params, got, err := DecodeRequest(in)
	if err != nil || script != WriteScript || string(got) != string(payload) || string(params) != `{"path":"%windir%\\x","expected_sha256":"","content_sha256":"","keep_backups":3,"gzip":false,"validate_paths":null}` {
		t.Fatalf("round trip: %q %s %q %v", script[:20], params, got, err)
	}
	head, data, err := decodeResponse(EncodeResponse(ReadResult{Path: "p", SHA256: "s", Size: 2}, []byte("hi")))
	if err != nil || string(head) != `{"path":"p","sha256":"s","size":2,"gzip":false}` || string(data) != "hi" {
		t.Fatalf("response round trip: %s %q %v", head, data, err)
	}
}

func TestParamsTravelAsASCII(t *testing.T) {
	in, err := EncodeRequest(ReadScript, ReadParams{Path: `C:\Konfigürätion\𝄞.config`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range in {
		if c >= 0x80 {
			t.Fatalf("stdin has a non-ASCII byte: %q", in)
		}
	}
	_, params, _, _ := DecodeRequest(in)
	var p ReadParams
	if err := json.Unmarshal(params, &p); err != nil || p.Path != `C:\Konfigürätion\𝄞.config` {
		t.Fatalf("path did not survive: %q %v", p.Path, err)
	}
}

// No script may hash with SHA256Managed ([SHA256]::Create() on .NET
// Framework): its constructor throws under the FIPS policy. Nor may a
// script call a native program under Stop semantics without saying so; the
// simulator's drift test checks the order, this checks the text.
func TestScriptsAvoidFIPSBreakingHashes(t *testing.T) {
	for name, s := range map[string]string{"Loader": Loader, "ReadScript": ReadScript, "WriteScript": WriteScript} {
		for _, bad := range []string{"SHA256]::Create", "SHA256Managed", "HashAlgorithm]::Create"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %s, which throws under the FIPS policy", name, bad)
			}
		}
	}
}
