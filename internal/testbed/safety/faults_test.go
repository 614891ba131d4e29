package safety

import (
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestFaultSuite injects each fault the wire can throw at an edit, in both
// store modes. After every fault the live file is the old file or the new
// one byte for byte; the error says what happened and whether the change
// was applied; the next run succeeds and leaves no temporary file behind.
func TestFaultSuite(t *testing.T) {
	t.Parallel()
	type scenario struct {
		name string
		// setup installs the faults; the rig's file may be changed too.
		setup func(r *rig)
		// wantErr is "" when the edit must succeed despite the fault, else
		// phrases its error must contain.
		wantErr []string
		// applied: the file must be the new one (true) or the old one.
		applied bool
		// outside: an outside edit that the fault scenario makes; it must
		// survive.
		outside bool
		// only: the store mode the scenario applies to ("" for both): with
		// shell reuse a write opens no shell of its own.
		only string
	}
	// A read sends its stdin in two Sends (data, then End); so does a write.
	// Skip counts are relative to the edit's own commands.
	scenarios := []scenario{
		{name: "connection drops during the read's Receive", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Receive", Kind: dpsim.Drop, Times: 1})
		}, applied: true},
		{name: "connection drops during the upload", setup: func(r *rig) {
			// The write's Send carries the file: larger than a read's.
			r.faults.Add(&dpsim.Rule{Action: "Send", Kind: dpsim.Drop, MinBytes: 8 << 10, Times: 1})
		}, wantErr: []string{"write", "the change was not applied (the file is unchanged)"}},
		{name: "connection drops during the replace (the answer is lost)", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Receive", Kind: dpsim.DropAnswer, AfterReplace: true, Times: 1})
		}, applied: true},
		{name: "HTTP 500 SOAP fault on the read's Command", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Command", Kind: dpsim.Fault500, Times: 1})
		}, applied: true},
		{name: "HTTP 500 SOAP fault on the write's Command", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Command", Kind: dpsim.Fault500, Skip: 1, Times: 1})
		}, wantErr: []string{"InternalError", "the change was not applied (the file is unchanged)"}},
		{name: "Receive never answers (past the timeout), on the read", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Receive", Kind: dpsim.Hang, Times: 1})
		}, applied: true},
		{name: "shell quota exceeded on the write", only: "naive", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Create", Kind: dpsim.Quota, Skip: 1, Times: 1})
		}, wantErr: []string{"MaxShellsPerUser", "the change was not applied"}},
		{name: "shell quota exceeded on the read", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Create", Kind: dpsim.Quota, Times: 2})
		}, applied: true},
		{name: "slow responses", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Kind: dpsim.Delay, Delay: 150 * time.Millisecond, Times: 6})
		}, applied: true},
		{name: "host reboots between read and write", only: "naive", setup: func(r *rig) {
			// The host is gone for the write's first exchange, and the file
			// changed meanwhile (an admin, an update at boot).
			r.faults.Add(&dpsim.Rule{Action: "Create", Kind: dpsim.Drop, Skip: 1, Times: 1, OnHit: func() {
				_ = writeFile(r.file, expected(r.t, r.orig, ".cs"))
			}})
		}, outside: true, wantErr: []string{"the change was not applied and another writer has changed the file since"}},
		{name: "host reboots between read and write (reused shell)", only: "optimized", setup: func(r *rig) {
			r.faults.Add(&dpsim.Rule{Action: "Command", Kind: dpsim.Drop, Skip: 1, Times: 1, OnHit: func() {
				_ = writeFile(r.file, expected(r.t, r.orig, ".cs"))
			}})
		}, outside: true, wantErr: []string{"the change was not applied and another writer has changed the file since"}},
	}
	injected, runs := 0, 0
	for _, mode := range []string{"optimized", "naive"} {
		opts := hostconfig.Optimized()
		if mode == "naive" {
			opts = hostconfig.Options{}
		}
		for _, sc := range scenarios {
			if sc.only != "" && sc.only != mode {
				continue
			}
			t.Run(mode+"/"+sc.name, func(t *testing.T) {
				r := newRig(t, testfixtures.ASPNET)
				s := r.store(t, opts, 3*time.Second)
				sc.setup(r)
				old := r.orig
				if sc.outside { // the outside edit lands during the fault
					old = expected(t, r.orig, ".cs")
				}
				newBytes := expected(t, old, ".config")
				_, err := s.Update(ctxTimeout(t, 60*time.Second), allow(".config"))
				if err != nil {
					t.Logf("the user reads: %v", err)
				}
				now := r.read(t)
				if !oneOf(now, old, newBytes) {
					t.Fatal("the file is neither the old one nor the new one")
				}
				if sc.wantErr == nil {
					if err != nil {
						t.Fatalf("the edit must survive this fault: %v", err)
					}
				} else {
					if err == nil {
						t.Fatal("want an error")
					}
					for _, p := range sc.wantErr {
						if !strings.Contains(err.Error(), p) {
							t.Errorf("error %q does not say %q", err, p)
						}
					}
				}
				if got := string(now) == string(newBytes); got != (sc.applied || (sc.wantErr == nil)) {
					t.Errorf("applied = %v", got)
				}
				n := r.faults.Injected()
				if n == 0 {
					t.Fatal("no fault was injected: the scenario tests nothing")
				}
				injected += n
				runs++
				// The next run, fault-free, succeeds and cleans up.
				r.faults.Clear()
				s2 := r.store(t, opts, 10*time.Second)
				if _, err := s2.Update(ctxTimeout(t, 30*time.Second), allow(".config")); err != nil {
					t.Fatalf("next run: %v", err)
				}
				if !oneOf(r.read(t), expected(t, old, ".config")) {
					t.Fatal("next run: the file is not the old one with the change")
				}
				if tmp := r.temps(t); len(tmp) > 0 {
					t.Fatalf("temporary files left behind: %v", tmp)
				}
			})
		}
	}
	testfixtures.Report(t, "fault suite: %d scenarios run, %d faults injected, 0 files damaged", runs, injected)
}
