package hostconfig

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestWriteReplacedByAnotherWriter: another writer replaces the file right
// after the provider's write took effect. The write is no failure (it was
// applied), and the store does not keep its own copy as the file: the next
// read in the run returns what is on the host now, the other writer's edit
// included.
func TestWriteReplacedByAnotherWriter(t *testing.T) {
	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	theirs := []byte(`<add fileExtension=".theirs" allowed="false" />`)
	var once atomic.Bool
	s, _ := simStore(t, file, dpsim.HostOptions{AfterReplace: func() {
		if once.Swap(true) {
			return
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Error(err)
			return
		}
		b = bytes.Replace(b, []byte(`<add fileExtension=".mdb" allowed="false" />`), append([]byte(`<add fileExtension=".mdb" allowed="false" />`), theirs...), 1)
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Error(err)
		}
	}}, Optimized())
	if _, err := s.Update(context.Background(), func(d *apphost.Doc) ([]byte, error) {
		return d.SetFileExtensionAllowed("", ".config", true)
	}); err != nil {
		t.Fatalf("a write another writer replaced afterwards failed: %v", err)
	}
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(d.Bytes(), theirs) {
		t.Error("the next read returned the provider's own copy, not the file the other writer left on the host")
	}
	// Neither edit is lost: the host's file, byte for byte what the next
	// read returned, holds the provider's change under the other writer's.
	onDisk, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, d.Bytes()) || !bytes.Contains(onDisk, []byte(`<add fileExtension=".config" allowed="true" />`)) {
		t.Error("the file on the host lost the provider's change, or the read is not the file")
	}
}
