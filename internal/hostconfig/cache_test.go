package hostconfig

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestCacheKeepsBytesNotTrees: the parsed document of a host's file is not
// kept once no resource holds it (a fleet's memory would grow by a parsed
// tree per DP), but the file's bytes are: the next read parses them again
// and asks the host nothing.
func TestCacheKeepsBytesNotTrees(t *testing.T) {
	s, _, _ := setup(t, testfixtures.ASPNET)
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(d.Bytes())
	d = nil
	s.readMu.Lock()
	s.cache.held = nil // as holdFor after the last use does
	s.readMu.Unlock()
	runtime.GC()
	runtime.GC()
	if s.cache.doc.Value() != nil {
		t.Fatal("the parsed document outlived its last user")
	}
	d, err = s.Read(context.Background())
	if err != nil || !bytes.Equal(d.Bytes(), want) {
		t.Fatalf("read after the collection: %v", err)
	}
	if st := s.Stats(); st.Reads != 1 || st.CacheHits != 1 {
		t.Fatalf("%d reads, %d cache hits; want the bytes kept: 1 read, 1 hit", st.Reads, st.CacheHits)
	}
	runtime.KeepAlive(d)
}
