package winrmclient

import (
	"strings"
	"testing"
)

// What the client does with the Receive reply of a refresh (check it, take
// the output): a 25 KB
// answer (the gzip of a 74 KB applicationHost.config, base64 in CLIXML
// lines) in one stream, as the host sends it in one Receive.
func BenchmarkReceiveReply(b *testing.B) {
	body := []byte(receiveEnvelope([]string{strings.Repeat("H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0ruecfr", 25000/48)}, nil, true, 0))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if rep, err := parseReply(body); err != nil || len(rep.stdout) == 0 {
			b.Fatal(err)
		}
	}
}
