package winrmclient

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", maxReplyBytes+10)
	for _, tc := range []struct {
		name    string
		raw     string // the reply as it arrives
		want    int    // body bytes returned
		wantErr bool
	}{
		{"content length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5, false},
		{"empty", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 5, false},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 5, true},
		// Too long is read one byte past the limit, for the caller to refuse.
		{"too long", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big), maxReplyBytes + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := readBody(resp)
			if (err != nil) != tc.wantErr || len(b) != tc.want && !tc.wantErr {
				t.Fatalf("got %d bytes, error %v; want %d bytes, error %v", len(b), err, tc.want, tc.wantErr)
			}
		})
	}
}
