package remotefile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// A pooled writer must produce the bytes a new one does: the host checks
// nothing but the decompressed content, yet the simulator's figures in
// `make bench` would drift if reuse changed the output.
func TestGzipLevelReuseIsDeterministic(t *testing.T) {
	src := testfixtures.Read(t, testfixtures.ASPNET)
	for _, level := range []int{6, gzip.BestCompression} {
		var fresh bytes.Buffer
		w, _ := gzip.NewWriterLevel(&fresh, level)
		_, _ = w.Write(src)
		_ = w.Close()
		for i := range 3 { // the second and third come from the pool
			got := GzipLevel(src, level)
			if !bytes.Equal(got, fresh.Bytes()) {
				t.Fatalf("level %d, call %d: %d bytes, a new writer gives %d", level, i, len(got), fresh.Len())
			}
			back, err := gunzip(got)
			if err != nil || !bytes.Equal(back, src) {
				t.Fatalf("level %d, call %d: round trip: %v", level, i, err)
			}
		}
	}
}

func TestGunzip(t *testing.T) {
	src := testfixtures.Read(t, testfixtures.ASPNET)
	good := GzipLevel(src, 6)
	lying := bytes.Clone(good) // a trailer that claims 4 GiB: only a hint
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 0xFFFFFFFF)
	small := bytes.Clone(good) // a trailer that claims 1 byte
	binary.LittleEndian.PutUint32(small[len(small)-4:], 1)

	for _, tc := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr string
	}{
		{"round trip", good, src, ""},
		{"empty content", GzipLevel(nil, 6), []byte{}, ""},
		// compress/gzip checks the size in the trailer after the data.
		{"trailer too large", lying, nil, "invalid checksum"},
		{"trailer too small", small, nil, "invalid checksum"},
		{"not gzip", []byte("<configuration/>"), nil, "invalid header"},
		{"truncated", good[:len(good)/2], nil, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 2 { // a fresh reader, then a pooled one
				got, err := gunzip(tc.in)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("call %d: error %v, want one with %q", i, err, tc.wantErr)
					}
					continue
				}
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("call %d: %d bytes, %v; want %d bytes", i, len(got), err, len(tc.want))
				}
			}
		})
	}
}

// The output is allocated once at its size, not grown by doubling (which
// allocates about three times the file): what the trailer's size hint is
// for. (Counted on readSized alone: the pools, which the race detector
// empties at random, would make a count of gunzip's allocations flaky.)
func TestReadSizedAllocatesOnce(t *testing.T) {
	src := testfixtures.Read(t, testfixtures.ASPNET)
	r := bytes.NewReader(src)
	for _, tc := range []struct {
		name   string
		hint   int
		atMost float64
		more   bool // the count must be more than atMost instead
	}{
		// The buffer, and under the race detector the Buffer itself.
		{"right hint", len(src), 2, false},
		{"no hint", 0, 4, true}, // the doubling this avoids: 9 allocations
	} {
		allocs := testing.AllocsPerRun(20, func() {
			r.Reset(src)
			out, err := readSized(r, tc.hint)
			if err != nil || !bytes.Equal(out, src) {
				t.Fatalf("read back %d bytes, %v", len(out), err)
			}
		})
		if tc.more && allocs <= tc.atMost {
			t.Errorf("%s: %.0f allocations; the test expects the doubling to take more than %.0f", tc.name, allocs, tc.atMost)
		}
		if !tc.more && allocs > tc.atMost {
			t.Errorf("%s: %.0f allocations; want at most %.0f", tc.name, allocs, tc.atMost)
		}
	}
}
