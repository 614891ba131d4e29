//go:build unix

package resources_test

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
)

// TestAccOwnership_killed: the record's known limit (internal/ownership,
// "What it cannot know"). The CLI and the provider are killed outright (a
// second Ctrl-C, a crash) after the host wrote the change and its record,
// before the answer reached them: the record then holds a claim that no
// state holds. The test shows what the file holds, what the next plan,
// apply and destroy say and do, and that the way out their warnings give
// (import instead of create, or import after the destroy that left the
// entry) ends with the original bytes.
//
// Unix only: it kills the CLI's process group, the way a terminal's second
// Ctrl-C or a crash takes the provider down with it.
func TestAccOwnership_killed(t *testing.T) {
	h := ownHarness(t)
	var k ownKind
	for _, c := range ownKinds() {
		if c.name == "extension" {
			k = c
		}
	}
	if k.typ == "" {
		t.Fatal("ownKinds has no extension kind")
	}
	const advice = "the import takes over every recorded claim"
	for _, path := range []string{"import instead of create", "apply, destroy, then import"} {
		t.Run(path, func(t *testing.T) {
			faults := &dpsim.Faults{}
			r := newOwnRig(t, h, faults)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			out := r.killedAfterWrite(faults, d, "apply")

			// The host has the change and a claim for it; no state has it.
			written := r.read()
			if bytes.Equal(acctest.WithoutRecord(t, written), r.orig) {
				t.Fatalf("the killed apply's write did not reach the file:\n%s", out)
			}
			orphan := recordOwners(t, written)
			if len(orphan) != 1 {
				t.Fatalf("the record should hold the killed apply's claim, not %v", orphan)
			}
			if _, list := r.cli(d, "state", "list"); strings.Contains(list, k.typ+".a") {
				t.Fatalf("the killed apply saved its state after all (%q): this test needs a claim no state holds", list)
			}

			// The plan sees a second manager with the same value and says
			// what to do if it is a killed apply.
			plan := flat(r.must(0, d, "plan"))
			for _, want := range []string{"is already managed", "apply was killed before it saved its state", "import this resource instead of creating it", advice, "owner id " + orphan[0]} {
				if !strings.Contains(plan, want) {
					t.Fatalf("the plan after a killed apply should say %q:\n%s", want, plan)
				}
			}
			if !bytes.Equal(r.read(), written) {
				t.Fatal("a plan changed the file")
			}

			if path == "apply, destroy, then import" {
				// Applying anyway shares the entry with the orphan claim;
				// destroy then leaves the entry as configured, and says why
				// and how to take it over.
				r.must(0, d, "apply")
				r.must(0, d, "plan", "-detailed-exitcode")
				out := flat(r.must(0, d, "destroy"))
				for _, want := range []string{"The entry stays as it is", "owner id " + orphan[0], "apply was killed before it saved its state", "import this resource again", advice} {
					if !strings.Contains(out, want) {
						t.Fatalf("the destroy after a killed apply should say %q:\n%s", want, out)
					}
				}
				if !bytes.Equal(acctest.WithoutRecord(t, r.read()), acctest.WithoutRecord(t, written)) {
					t.Fatal("the destroy that shares the entry with an orphan claim changed the entry")
				}
				if now := recordOwners(t, r.read()); strings.Join(now, ",") != orphan[0] {
					t.Fatalf("after that destroy the record should hold the orphan claim only, not %v", now)
				}
			}

			// The advice: import, and destroy gives back the original bytes.
			out = flat(r.must(0, d, "import", k.typ+".a", k.importID))
			if !strings.Contains(out, "takes it over") || !strings.Contains(out, orphan[0]) {
				t.Fatalf("the import should take the entry over from the orphan claim %s:\n%s", orphan[0], out)
			}
			r.must(0, d, "apply")
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("import after a killed apply, then destroy")
			if rec, err := ownership.Parse(r.read()); err != nil || len(rec.Entries) != 0 {
				t.Fatalf("the record should be gone with the last entry: %v %v", rec.Entries, err)
			}
		})
	}
}

// killedAfterWrite runs the CLI in dir in a process group of its own and
// kills that group (the CLI and the provider it started) with SIGKILL as
// soon as the host has replaced the file, before the write's answer
// reaches the provider, which never hears of it. It returns what the CLI
// printed before it died.
func (r *ownRig) killedAfterWrite(faults *dpsim.Faults, dir string, args ...string) string {
	r.t.Helper()
	cmd := r.command(dir, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	rule := faults.Add(&dpsim.Rule{Action: "Receive", Kind: dpsim.DropAnswer, AfterReplace: true, Times: 1,
		OnHit: func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }})
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	err := cmd.Wait()
	if rule.Hits() != 1 {
		r.t.Fatalf("the write was not reached (%d hits): %v\n%s", rule.Hits(), err, out.String())
	}
	var ee interface{ Sys() any }
	if !errors.As(err, &ee) {
		r.t.Fatalf("the CLI was not killed: %v\n%s", err, out.String())
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		r.t.Fatalf("the CLI was not killed by SIGKILL: %v\n%s", err, out.String())
	}
	// The provider was in the group: wait until no process of it is left,
	// so that nothing of the killed run can still write.
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(-cmd.Process.Pid, 0) == nil; {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			r.t.Fatal("a process of the killed run outlived SIGKILL")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return out.String()
}
