package safety

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// outsideEdit changes the file the way a careful tool (IIS Manager, appcmd)
// does: it swaps its version in atomically and checks what it replaced; if
// that is not what it read, someone wrote meanwhile, so it applies its edit
// to their version and swaps again. (A tool that overwrites blindly can lose
// anyone's edit; no protocol on the provider's side can prevent that.)
func outsideEdit(path string, edit func([]byte) []byte) error {
	base, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	next := edit(base)
	for i := 0; i < 1000; i++ {
		tmp := fmt.Sprintf("%s.outside-%d", path, rand.Int64())
		if err := os.WriteFile(tmp, next, 0o644); err != nil {
			return err
		}
		if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
			return err
		}
		replaced, err := os.ReadFile(tmp)
		_ = os.Remove(tmp)
		if err != nil {
			return err
		}
		if bytes.Equal(replaced, base) {
			return nil
		}
		base, next = next, edit(replaced)
	}
	return fmt.Errorf("outside writer gave up")
}

// TestConcurrencySuite: several provider processes (separate Stores, as
// separate `terraform apply` runs with their own state) each applying many
// resources at once, and an outside writer, all on one host at the same
// time. At the end every intended change is there, the outside writer's
// too, and the file is one IIS accepts.
func TestConcurrencySuite(t *testing.T) {
	t.Parallel()
	const (
		rounds    = 50
		processes = 3 // terraform apply runs at once
		resources = 5 // per run, applied in parallel: 15 concurrent edits
		outside   = 5 // outside edits per round
	)
	if testing.Short() {
		t.Skip("50 rounds")
	}
	outsideExts := []string{".licx", ".resx", ".resources", ".vjsproj", ".java"}
	var expectedUpdates, found, conflicts, writes, edits int
	for round := 0; round < rounds; round++ {
		r := newRig(t, testfixtures.ASPNET)
		var wg sync.WaitGroup
		errs := make(chan error, processes*resources+outside)
		stores := make([]*hostconfig.Store, processes)
		for p := range stores {
			opts := hostconfig.Optimized()
			if p == processes-1 {
				opts = hostconfig.Options{} // one run in the naive mode
			}
			stores[p] = r.store(t, opts, 20*time.Second)
		}
		for p, s := range stores {
			for i := 0; i < resources; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ext := fmt.Sprintf(".p%dr%d", p, i)
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					if _, err := s.Update(ctx, func(d *apphost.Doc) ([]byte, error) {
						out, _, err := d.CreateFileExtension("", ext, true)
						return out, err
					}); err != nil {
						errs <- fmt.Errorf("%s: %w", ext, err)
					}
				}()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outsideWriter(r.file, outsideExts, 15*time.Millisecond, errs)
		}()
		wg.Wait()
		drain(t, round, errs)
		e, f := checkRound(t, round, r.read(t), roundWant(outsideExts, ".p", processes, resources))
		expectedUpdates, found = expectedUpdates+e, found+f
		for _, s := range stores {
			st := s.Stats()
			conflicts += st.Conflicts
			writes += st.Writes
			edits += st.Edits
		}
		if tmp := r.temps(t); len(tmp) > 0 {
			t.Errorf("round %d: temporary files left: %v", round, tmp)
		}
	}
	testfixtures.Report(t, "concurrency suite: %d rounds, %d updates expected, %d found; %d provider edits in %d writes, %d conflicts re-applied",
		rounds, expectedUpdates, found, edits, writes, conflicts)
}
