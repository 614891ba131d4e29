package apphost

import (
	"bytes"
	"sync"
	"testing"
)

// TestDocConcurrentUse: a Doc is shared by every resource of a host, and its
// positions are found on first use by whichever call comes first. Lookups,
// line numbers and edits from many goroutines at once must agree with the
// same calls made one at a time (run with -race).
func TestDocConcurrentUse(t *testing.T) {
	src := fixture(t, fixtureASPNET)
	serial, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	const loc = "Default Web Site/SMS_DP_SMSPKG$"
	want, _, err := serial.CreateFileExtension(loc, ".config", true)
	if err != nil {
		t.Fatal(err)
	}
	en, found, err := serial.Lookup(FileExtensions(), "", ".config")
	if err != nil || !found {
		t.Fatalf("lookup .config: %v %v", found, err)
	}
	wantLine := en.Line()

	shared, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				got, _, err := shared.CreateFileExtension(loc, ".config", true)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("goroutine %d: edit differs from the serial one (%v)", i, err)
				}
				return
			}
			en, found, err := shared.Lookup(FileExtensions(), "", ".config")
			if err != nil || !found || en.Line() != wantLine {
				t.Errorf("goroutine %d: line %d, want %d (%v)", i, en.Line(), wantLine, err)
			}
		}()
	}
	wg.Wait()
}
