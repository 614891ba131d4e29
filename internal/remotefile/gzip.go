package remotefile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// compressors holds idle gzip writers, one pool per level. A writer holds
// about 800 KB of tables, and a fleet run compresses once per write on each
// of its hosts: without the pools that is fresh memory every time, which
// costs the collector, and the kernel its page faults, more than the
// compression itself. A pooled writer behaves as a new one after Reset,
// so sharing them is a cache, not state.
var compressors [gzip.BestCompression + 1]sync.Pool

// GzipLevel compresses b at a compress/flate level (1 to 9).
func GzipLevel(b []byte, level int) []byte {
	var out bytes.Buffer
	out.Grow(len(b)/4 + 64) // XML compresses about 6:1
	w, _ := compressors[level].Get().(*gzip.Writer)
	if w == nil {
		w, _ = gzip.NewWriterLevel(&out, level)
	} else {
		w.Reset(&out)
	}
	_, _ = w.Write(b)
	_ = w.Close()
	compressors[level].Put(w)
	return out.Bytes()
}

// gzipBytes compresses what the provider sends at the best level: the file
// is small and this side's CPU is cheap. The host's .NET GZipStream
// compresses at zlib's default level 6.
func gzipBytes(b []byte) []byte { return GzipLevel(b, gzip.BestCompression) }

// decompressors holds idle gzip readers (their window and tables are about
// 40 KB), as compressors does writers.
var decompressors sync.Pool

// gunzip decompresses a payload, refusing more than maxFile bytes: an
// applicationHost.config is megabytes at most.
func gunzip(b []byte) ([]byte, error) {
	src := bytes.NewReader(b)
	r, _ := decompressors.Get().(*gzip.Reader)
	var err error
	if r == nil {
		r, err = gzip.NewReader(src)
	} else {
		err = r.Reset(src)
	}
	if err != nil {
		return nil, err
	}
	defer decompressors.Put(r)
	// The trailer's last 4 bytes are the size modulo 2^32 (RFC 1952): a
	// hint that lets the output be allocated once instead of grown ten
	// times. It is only a hint, bounded so that a garbled trailer cannot
	// ask for much; the limit below is what is enforced.
	hint := 0
	if len(b) >= 4 {
		hint = min(int(binary.LittleEndian.Uint32(b[len(b)-4:])), 64*len(b), maxFile)
	}
	out, err := readSized(io.LimitReader(r, maxFile+1), hint)
	if err != nil {
		return nil, err
	}
	if len(out) > maxFile {
		return nil, fmt.Errorf("more than %d bytes", maxFile)
	}
	return out, nil
}

// readSized reads r to its end into a buffer allocated for hint bytes, so
// that when the hint is right there is one allocation.
func readSized(r io.Reader, hint int) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(hint + bytes.MinRead) // ReadFrom wants MinRead free before each read, the last one too
	_, err := out.ReadFrom(r)
	return out.Bytes(), err
}

// Gunzip decompresses a payload.
func Gunzip(b []byte) ([]byte, error) { return gunzip(b) }
