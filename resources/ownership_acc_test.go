package resources_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
)

// The ownership matrix (issue 13): every scenario of "destroy gives the file
// back" runs through the real CLI (TF_ACC_TERRAFORM_PATH: Terraform, or
// OpenTofu with make testacc-tofu) for every resource type, asserting the
// file's bytes and the CLI's exit codes. The CLI is run as a user runs it
// (commands the test framework has no step for: state rm, import, a second
// working directory, an interrupt).

// ownKind is one resource type in the matrix.
type ownKind struct {
	name string
	// body is the resource's arguments with value v (0 or 1: two values a
	// manager can want; the hidden segment has only one).
	body func(v int) string
	// spelled is body with the key spelled otherwise (another case): the
	// same IIS entry.
	spelled       func(v int) string
	typ, importID string
	// handEdit changes the managed entry by hand to a value neither the
	// original nor the configuration has; "" when the type has none.
	handEdit func(t *testing.T, b []byte) []byte
	handText string // the value the destroy warning names
}

func ownKinds() []ownKind {
	return []ownKind{
		{
			name: "extension", typ: "iis_request_filtering_extension", importID: ".tfown",
			body:    func(v int) string { return fmt.Sprintf("extension = \".tfown\"\n  allowed = %t", v == 0) },
			spelled: func(v int) string { return fmt.Sprintf("extension = \".TFOWN\"\n  allowed = %t", v == 0) },
			handEdit: func(t *testing.T, b []byte) []byte {
				return acctest.ReplaceOnce(t, b, `<add fileExtension=".tfown" allowed="true" />`, `<add fileExtension=".tfown" allowed="false" />`)
			},
			handText: "allowed=false",
		},
		{
			name: "hidden segment", typ: "iis_request_filtering_hidden_segment", importID: "bin",
			body:    func(int) string { return `segment = "bin"` },
			spelled: func(int) string { return `segment = "BIN"` },
		},
		{
			name: "settings", typ: "iis_request_filtering_settings", importID: "/",
			body: func(v int) string {
				return fmt.Sprintf("request_limits = { max_url = %d }", 8192+v)
			},
			// One entry per scope: a second resource in the same scope.
			spelled: func(v int) string { return fmt.Sprintf("request_limits = { max_url = %d }", 8192+v) },
			handEdit: func(t *testing.T, b []byte) []byte {
				return acctest.ReplaceOnce(t, b, `<requestLimits maxUrl="8192" />`, `<requestLimits maxUrl="5000" />`)
			},
			handText: "maxUrl=5000",
		},
		{
			// One entry per scope, its value the policy's configuration.
			name: "policy", typ: "iis_request_filtering_policy", importID: "/",
			body:    func(v int) string { return fmt.Sprintf("file_extensions = { \".tfown\" = %t }", v == 0) },
			spelled: func(v int) string { return fmt.Sprintf("file_extensions = { \".TFOWN\" = %t }", v == 0) },
			handEdit: func(t *testing.T, b []byte) []byte {
				return acctest.ReplaceOnce(t, b, `<add fileExtension=".tfown" allowed="true" />`, `<add fileExtension=".tfown" allowed="false" />`)
			},
			handText: `{"file_extensions":{".tfown":false}}`,
		},
	}
}

// ownRig is one simulated DP and the CLI, in working directories of one
// test.
type ownRig struct {
	t    *testing.T
	h    *tfrun.Harness
	sim  *dpsim.Sim
	file string
	orig []byte
}

func newOwnRig(t *testing.T, h *tfrun.Harness, faults *dpsim.Faults) *ownRig {
	dir := t.TempDir()
	file := testfixtures.Copy(t, testfixtures.ASPNET, dir)
	sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: acctest.SimUser, Password: acctest.SimPassword, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return &ownRig{t: t, h: h, sim: sim, file: file, orig: orig}
}

func (r *ownRig) read() []byte {
	b, err := os.ReadFile(r.file)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *ownRig) write(b []byte) {
	if err := os.WriteFile(r.file, b, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// resources is a configuration: the provider block and one resource per
// name, each with its body.
func (r *ownRig) config(typ string, bodies map[string]string) string {
	var b strings.Builder
	b.WriteString(tfrun.ProviderBlock(r.sim.Addr.Port, acctest.SimUser, acctest.SimPassword))
	for name, body := range bodies {
		fmt.Fprintf(&b, "resource %q %q {\n  %s\n}\n", typ, name, body)
	}
	return b.String()
}

// dir writes config into the working directory name (kept between calls:
// its state stays) and returns the directory.
func (r *ownRig) dir(name, config string) string {
	tf, err := r.h.Workspace(name, config, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return tf.WorkingDir()
}

// cli runs the CLI in dir and returns its exit code and output.
func (r *ownRig) cli(dir string, args ...string) (int, string) {
	r.t.Helper()
	cmd := r.command(dir, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("%s %v: %v", r.h.CLI, args, err)
	}
	return code, string(out)
}

func (r *ownRig) command(dir string, args ...string) *exec.Cmd {
	// Options go between the command and its arguments.
	n := 1
	if args[0] == "state" {
		n = 2
	}
	opts := []string{"-no-color"}
	switch args[0] {
	case "apply", "destroy":
		opts = append(opts, "-auto-approve", "-input=false")
	case "plan", "import":
		opts = append(opts, "-input=false")
	}
	args = append(append(append([]string{}, args[:n]...), opts...), args[n:]...)
	cmd := exec.Command(r.h.CLI, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+r.h.CLIConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	return cmd
}

// must runs the CLI and fails unless it exits with want.
func (r *ownRig) must(want int, dir string, args ...string) string {
	r.t.Helper()
	code, out := r.cli(dir, args...)
	if code != want {
		r.t.Fatalf("%s %s: exit code %d, want %d\n%s", filepath.Base(r.h.CLI), strings.Join(args, " "), code, want, out)
	}
	return out
}

// restored fails unless the file is back to its original bytes.
func (r *ownRig) restored(what string) {
	r.t.Helper()
	if now := r.read(); !bytes.Equal(now, r.orig) {
		rm, add := testfixtures.LineDiff(r.orig, now)
		r.t.Fatalf("%s did not give back the original bytes: removed %q added %q", what, rm, add)
	}
}

// holdsRecord fails unless the file holds a well-formed record.
func (r *ownRig) holdsRecord(entries int) {
	r.t.Helper()
	rec, err := ownership.Parse(r.read())
	if err != nil || len(rec.Entries) != entries {
		r.t.Fatalf("the file's ownership record: %d entries (%v), want %d", len(rec.Entries), err, entries)
	}
}

func ownHarness(t *testing.T) *tfrun.Harness {
	if acctest.Real() {
		t.Skip("simulator only: the matrix edits the file by hand and interrupts writes")
	}
	return tfrun.ForTest(t.Context(), t)
}

// TestAccOwnership_rename: renaming a resource's address (a for_each key)
// or the host's spelling, without a moved block, keeps the fix: the apply
// ends with the configured value, the next plan is empty, and destroy gives
// the original bytes back.
func TestAccOwnership_rename(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		t.Run(k.name, func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			hostA := fmt.Sprintf("127.0.0.1:%d", r.sim.Addr.Port)
			hostB := fmt.Sprintf("localhost:%d", r.sim.Addr.Port)
			cfg := func(host string) string {
				return tfrun.ProviderBlock(r.sim.Addr.Port, acctest.SimUser, acctest.SimPassword) +
					fmt.Sprintf("resource %q \"dp\" {\n  for_each = toset([%q])\n  host = each.key\n  %s\n}\n", k.typ, host, k.body(0))
			}
			d := r.dir("ws", cfg(hostA))
			r.must(0, d, "apply")
			fixed := acctest.WithoutRecord(t, r.read())
			r.holdsRecord(1)
			d = r.dir("ws", cfg(hostB))
			out := r.must(0, d, "apply")
			if !strings.Contains(out, "1 added") || !strings.Contains(out, "1 destroyed") {
				t.Fatalf("the rename should create one and destroy one:\n%s", out)
			}
			if now := acctest.WithoutRecord(t, r.read()); !bytes.Equal(now, fixed) {
				rm, add := testfixtures.LineDiff(fixed, now)
				t.Fatalf("the rename undid the fix: removed %q added %q\n%s", rm, add, out)
			}
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("destroy after a rename")
		})
	}
}

// TestAccOwnership_twoManagers: a second manager of one entry (another
// state, or another spelling in the same state) that wants another value is
// refused, naming the first, and nothing flip-flops; taking over (state rm
// there, import here) works, and destroy gives back the original bytes.
// Managers that want the same value share the entry.
func TestAccOwnership_twoManagers(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		t.Run(k.name+"/two states", func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			one := r.dir("one", r.config(k.typ, map[string]string{"a": k.body(0)}))
			r.must(0, one, "apply")
			afterOne := r.read()
			two := r.dir("two", r.config(k.typ, map[string]string{"b": k.spelled(1)}))
			if k.body(0) == k.body(1) {
				// One value only: the second manager shares the entry, and
				// the entry goes back when the last of them is destroyed.
				r.must(0, two, "apply")
				out := r.must(0, one, "destroy")
				if !strings.Contains(flat(out), "also managed by "+k.typ) {
					t.Fatalf("destroy of one of two managers should say the entry stays and who keeps it:\n%s", out)
				}
				if !bytes.Equal(acctest.WithoutRecord(t, r.read()), acctest.WithoutRecord(t, afterOne)) {
					t.Fatal("destroying one of two managers changed the entry")
				}
				r.must(0, two, "destroy")
				r.restored("destroy of both managers")
				return
			}
			// The plan says the apply will refuse it (a warning: an error
			// would also stop a destroy, whose refresh plans in normal mode).
			if out := r.must(0, two, "plan"); !strings.Contains(flat(out), "is managed by another resource with another value: apply will refuse it") {
				t.Fatalf("the plan should warn of the second manager:\n%s", out)
			}
			out := r.must(1, two, "apply")
			for _, want := range []string{"is managed by " + k.typ, "owner id", "moved", "terraform state rm", "terraform import"} {
				if !strings.Contains(flat(out), want) {
					t.Fatalf("the refusal should say %q:\n%s", want, out)
				}
			}
			if !bytes.Equal(r.read(), afterOne) {
				t.Fatal("a refused second manager changed the file")
			}
			r.must(0, one, "plan", "-detailed-exitcode") // no flip-flop
			// Take over: forget it there, import it here, apply the new value.
			r.must(0, one, "state", "rm", k.typ+".a")
			r.must(0, two, "import", k.typ+".b", k.importID)
			r.must(0, two, "apply")
			r.must(0, two, "plan", "-detailed-exitcode")
			r.must(0, two, "destroy")
			r.restored("destroy after a takeover")
		})
		t.Run(k.name+"/one state, two spellings", func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0), "b": k.spelled(1)}))
			if k.body(0) == k.body(1) {
				r.must(0, d, "apply")
				r.must(0, d, "plan", "-detailed-exitcode")
			} else {
				out := r.must(1, d, "apply")
				if !strings.Contains(flat(out), "is managed by "+k.typ) {
					t.Fatalf("two spellings with two values should be refused naming the other:\n%s", out)
				}
			}
			r.must(0, d, "destroy")
			r.restored("destroy of two spellings")
		})
	}
}

// TestAccOwnership_stateRmImport: state rm, import, destroy gives back the
// original bytes (the record, not the import, knows what was there).
func TestAccOwnership_stateRmImport(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		t.Run(k.name, func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			r.must(0, d, "apply")
			r.must(0, d, "state", "rm", k.typ+".a")
			out := r.must(0, d, "import", k.typ+".a", k.importID)
			if !strings.Contains(flat(out), "takes it over") && !strings.Contains(flat(out), "takes them over") {
				t.Fatalf("the import should say it takes the entry over from the removed resource:\n%s", out)
			}
			// (An imported settings resource manages every setting its scope
			// writes; the apply lets go of those the configuration leaves
			// out, which Terraform never wrote: they stay as they are.)
			r.must(0, d, "apply")
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("destroy after state rm and import")
		})
	}
}

// TestAccOwnership_handEdit: destroy warns, naming the value, when it
// overwrites a hand edit of a managed entry, and still gives the original
// bytes back.
func TestAccOwnership_handEdit(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		if k.handEdit == nil {
			continue // a hidden segment has one value: a hand edit hides it again, which is what destroy does
		}
		t.Run(k.name, func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			r.must(0, d, "apply")
			r.write(k.handEdit(t, r.read()))
			out := r.must(0, d, "destroy")
			if !regexp.MustCompile(`edited by hand since Terraform set it to .+?: it was ` + regexp.QuoteMeta(k.handText)).MatchString(flat(out)) {
				t.Fatalf("destroy should warn that it overwrites the hand edit to %s:\n%s", k.handText, out)
			}
			r.restored("destroy after a hand edit")
		})
	}
}

// TestAccOwnership_interrupt: Ctrl-C while the write is on the host. The
// write finishes and its answer reaches the state, so applying again and
// destroying gives back the original bytes.
func TestAccOwnership_interrupt(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		t.Run(k.name, func(t *testing.T) {
			faults := &dpsim.Faults{}
			r := newOwnRig(t, h, faults)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			cmd := r.command(d, "apply")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			// The upload of the new file (the only large Send) is held
			// while Terraform is interrupted.
			rule := faults.Add(&dpsim.Rule{Action: "Send", Kind: dpsim.Delay, Delay: 3 * time.Second, MinBytes: 8 << 10, Times: 1,
				OnHit: func() { _ = cmd.Process.Signal(syscall.SIGINT) }})
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if rule.Hits() != 1 {
				t.Fatalf("the write was not interrupted (%d hits): %v\n%s", rule.Hits(), err, out.String())
			}
			if rec, _ := ownership.Parse(r.read()); len(rec.Entries) != 1 {
				t.Fatalf("the interrupted write did not finish on the host:\n%s", out.String())
			}
			list := r.must(0, d, "state", "list")
			if !strings.Contains(list, k.typ+".a") {
				t.Fatalf("the interrupted apply lost track of the write (state: %q):\n%s", list, out.String())
			}
			r.must(0, d, "apply")
			r.must(0, d, "destroy")
			r.restored("apply after an interrupt, then destroy")
		})
	}
}

// flat is CLI output with its line wrapping undone.
func flat(out string) string { return strings.Join(strings.Fields(out), " ") }

// TestAccOwnership_planWarnsAdoption: the plan of a create that adopts an
// entry already in the file warns with its current value.
func TestAccOwnership_planWarnsAdoption(t *testing.T) {
	h := ownHarness(t)
	for _, tc := range []struct{ typ, body, current string }{
		{"iis_request_filtering_extension", "extension = \".config\"\n  allowed = true", "(allowed=false)"},
		{"iis_request_filtering_hidden_segment", `segment = "bin"`, "(hidden)"},
		{"iis_request_filtering_settings", "file_extensions_allow_unlisted = false", "(allowUnlisted=true)"},
		{"iis_request_filtering_policy", `file_extensions = { ".config" = true }`, `({"file_extensions":{".config":false}})`},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(tc.typ, map[string]string{"a": tc.body}))
			out := flat(r.must(0, d, "plan"))
			if !strings.Contains(out, "will be adopted") || !strings.Contains(out, "already has the entry "+tc.current) {
				t.Fatalf("the plan should warn that it adopts the entry %s:\n%s", tc.current, out)
			}
			if !bytes.Equal(r.read(), r.orig) {
				t.Fatal("a plan changed the file")
			}
		})
	}
}

// TestAccSiteCheck: a location whose site is not in the file's <sites> is
// an error at plan time listing the sites there are; so is one whose first
// name below the site is no application or virtual directory of it (the
// package share without its "$"), listing the ones there are, while the
// right one plans clean and applies; the PSPath form gets the location it
// names; allow_missing_site opts out, for a site another tool creates
// later, and destroy still gives the original bytes back.
func TestAccSiteCheck(t *testing.T) {
	h := ownHarness(t)
	bodies := map[string]string{
		"iis_request_filtering_extension":      "extension = \".tfown\"\n  allowed = true",
		"iis_request_filtering_hidden_segment": `segment = "tfown"`,
		"iis_request_filtering_settings":       "allow_double_escaping = true",
		"iis_request_filtering_policy":         `file_extensions = { ".tfown" = true }`,
	}
	for typ, body := range bodies {
		t.Run(typ, func(t *testing.T) {
			r := newOwnRig(t, h, nil) // the ASP.NET fixture has one site, "www"
			with := func(extra string) string { return r.config(typ, map[string]string{"a": body + "\n  " + extra}) }
			d := r.dir("typo", with(`location = "Default Web Sit/SMS_DP_SMSPKG$"`))
			out := flat(r.must(1, d, "plan"))
			for _, want := range []string{`no site is named "Default Web Sit"`, `the sites are "www"`, "allow_missing_site = true"} {
				if !strings.Contains(out, want) {
					t.Fatalf("the plan should say %q:\n%s", want, out)
				}
			}
			d = r.dir("pspath", with(`location = "MACHINE/WEBROOT/APPHOST/www"`))
			if out := flat(r.must(1, d, "plan")); !strings.Contains(out, `it is a PSPath`) || !strings.Contains(out, `write "www"`) {
				t.Fatalf("the PSPath form should get the location it names:\n%s", out)
			}
			d = r.dir("later", with("location = \"Default Web Site/SMS_DP_SMSPKG$\"\n  allow_missing_site = true"))
			r.must(0, d, "apply")
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("destroy of a location for a site created later")
			if !bytes.Equal(r.read(), r.orig) {
				t.Fatal("a refused plan changed the file")
			}
		})
		t.Run(typ+"/application", func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			r.asDistributionPoint()
			with := func(extra string) string { return r.config(typ, map[string]string{"a": body + "\n  " + extra}) }
			d := r.dir("typo", with(`location = "Default Web Site/SMS_DP_SMSPKG"`))
			out := flat(r.must(1, d, "plan"))
			for _, want := range []string{
				`location = "Default Web Site/SMS_DP_SMSPKG"`,
				`site "Default Web Site" has no application or virtual directory named "/SMS_DP_SMSPKG"`,
				`(it has "/SMS_DP_SMSPKG$")`,
				`unless "SMS_DP_SMSPKG" is a physical folder under the site's root`,
				"for such a folder, or an application another tool creates later, set allow_missing_site = true",
			} {
				if !strings.Contains(out, want) {
					t.Fatalf("the plan should say %q:\n%s", want, out)
				}
			}
			if !bytes.Equal(r.read(), r.orig) {
				t.Fatal("a refused plan changed the file")
			}
			d = r.dir("right", with(`location = "Default Web Site/SMS_DP_SMSPKG$/PKG00012"`))
			if out := r.must(0, d, "plan"); acctest.Warnings(out) != 0 || strings.Contains(out, "Error") {
				t.Fatalf("a location in the package share should plan clean:\n%s", out)
			}
			r.must(0, d, "apply")
			r.holdsRecord(1)
			if rec, _ := ownership.Parse(r.read()); rec.Entries[0].Location != ownership.Canonical("Default Web Site/SMS_DP_SMSPKG$/PKG00012") {
				t.Fatalf("the record holds an entry for location %q", rec.Entries[0].Location)
			}
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("destroy of a location in the package share")
		})
	}
}

// asDistributionPoint makes the rig's file the one a DP serves: the
// ASP.NET fixture with "Default Web Site" and its package share
// /SMS_DP_SMSPKG$ added (the simulator serves the file as it is on disk).
func (r *ownRig) asDistributionPoint() {
	r.t.Helper()
	r.write(testfixtures.AsDistributionPoint(r.t, r.orig))
	r.orig = r.read()
}

// TestAccOwnership_recordLostOrDamaged: a tool that drops comments when it
// saves the file loses the record; destroy then falls back to what each
// resource's private state caches and still gives the original bytes back.
// A record edited by hand is an error naming its line, and nothing is
// written over it.
func TestAccOwnership_recordLostOrDamaged(t *testing.T) {
	h := ownHarness(t)
	for _, k := range ownKinds() {
		t.Run(k.name+"/lost", func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			r.must(0, d, "apply")
			r.write(acctest.WithoutRecord(t, r.read()))
			r.must(0, d, "plan", "-detailed-exitcode")
			r.must(0, d, "destroy")
			r.restored("destroy after the record was lost")
		})
		t.Run(k.name+"/damaged", func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			d := r.dir("ws", r.config(k.typ, map[string]string{"a": k.body(0)}))
			r.must(0, d, "apply")
			good := r.read()
			damaged := bytes.Replace(good, []byte(`{"kind":`), []byte(`{"kind" `), 1)
			r.write(damaged)
			out := flat(r.must(1, d, "destroy"))
			if !strings.Contains(out, "ownership record of terraform-provider-iis") || !strings.Contains(out, "is damaged") || !strings.Contains(out, "tf-backup") {
				t.Fatalf("destroy should refuse a damaged record, naming it and the backups:\n%s", out)
			}
			if !bytes.Equal(r.read(), damaged) {
				t.Fatal("a damaged record was written over")
			}
			r.write(good)
			r.must(0, d, "destroy")
			r.restored("destroy after the record was repaired")
		})
	}
}

// TestAccOwnership_policyAndSingle: a policy and a single-entry resource
// for one entry in two states (where the plan-time check of one
// configuration cannot see both) are refused by the record, whichever came
// first and even with one value, naming the other; an exclusive policy
// covers every entry of its scope. Nothing is written, and destroying the
// first gives back the original bytes.
func TestAccOwnership_policyAndSingle(t *testing.T) {
	h := ownHarness(t)
	const (
		policy    = "iis_request_filtering_policy"
		extension = "iis_request_filtering_extension"
		segment   = "iis_request_filtering_hidden_segment"
	)
	for _, tc := range []struct {
		name                         string
		firstTyp, first              string
		secondTyp, second, otherName string
	}{
		{"policy then extension", policy, `file_extensions = { ".tfown" = true }`, extension, "extension = \".TFOWN\"\n  allowed = true", policy},
		{"extension then policy", extension, "extension = \".tfown\"\n  allowed = true", policy, `file_extensions = { ".tfown" = true }`, extension},
		{"segment then exclusive policy", segment, `segment = "bin"`, policy, "file_extensions = { \".tfown\" = true }\n  exclusive = true", segment},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOwnRig(t, h, nil)
			one := r.dir("one", r.config(tc.firstTyp, map[string]string{"a": tc.first}))
			r.must(0, one, "apply")
			afterOne := r.read()
			two := r.dir("two", r.config(tc.secondTyp, map[string]string{"b": tc.second}))
			if out := flat(r.must(0, two, "plan")); !strings.Contains(out, "is managed by another kind of resource: apply will refuse it") {
				t.Fatalf("the plan should warn that the apply will refuse the overlap:\n%s", out)
			}
			out := flat(r.must(1, two, "apply"))
			for _, want := range []string{"is also managed by " + tc.otherName, "owner id", "Nothing was written", "terraform state rm"} {
				if !strings.Contains(out, want) {
					t.Fatalf("the refusal should say %q:\n%s", want, out)
				}
			}
			if !bytes.Equal(r.read(), afterOne) {
				t.Fatal("a refused overlap changed the file")
			}
			r.must(0, one, "plan", "-detailed-exitcode")
			r.must(0, one, "destroy")
			r.restored("destroy of the first manager")
		})
	}
}

// TestAccOwnership_moved: a `moved` block (a plain rename, and a change of
// a for_each key) moves the resource in the state and nothing else: the
// plan shows the move and no create or destroy, the apply leaves the file's
// bytes as they are, the record keeps the same owner id (a moved resource
// keeps its private state, where that id lives), and destroy at the new
// address gives back the original bytes.
func TestAccOwnership_moved(t *testing.T) {
	h := ownHarness(t)
	// A resource block named name, one instance per key of forEach (none:
	// a single instance).
	block := func(typ, name, forEach, body string) string {
		if forEach == "" {
			return fmt.Sprintf("resource %q %q {\n  %s\n}\n", typ, name, body)
		}
		return fmt.Sprintf("resource %q %q {\n  for_each = toset([%q])\n  %s\n}\n", typ, name, forEach, body)
	}
	for _, k := range ownKinds() {
		for _, mv := range []struct {
			name                string
			before, after       string // the resource blocks
			from, to            string // the moved block's addresses
			beforeKey, afterKey string
		}{
			{name: "rename", before: "a", after: "b", from: k.typ + ".a", to: k.typ + ".b"},
			{name: "for_each key", before: "x", after: "x", beforeKey: "k1", afterKey: "k2",
				from: k.typ + `.x["k1"]`, to: k.typ + `.x["k2"]`},
		} {
			t.Run(k.name+"/"+mv.name, func(t *testing.T) {
				r := newOwnRig(t, h, nil)
				provider := tfrun.ProviderBlock(r.sim.Addr.Port, acctest.SimUser, acctest.SimPassword)
				d := r.dir("ws", provider+block(k.typ, mv.before, mv.beforeKey, k.body(0)))
				r.must(0, d, "apply")
				applied := r.read()
				owners := recordOwners(t, applied)
				if len(owners) != 1 {
					t.Fatalf("after the first apply the record should hold one owner, not %v", owners)
				}

				d = r.dir("ws", provider+block(k.typ, mv.after, mv.afterKey, k.body(0))+
					fmt.Sprintf("moved {\n  from = %s\n  to   = %s\n}\n", mv.from, mv.to))
				out := flat(r.must(0, d, "plan"))
				for _, want := range []string{mv.from + " has moved to " + mv.to, "0 to add, 0 to change, 0 to destroy"} {
					if !strings.Contains(out, want) {
						t.Fatalf("the plan of a moved block should say %q:\n%s", want, out)
					}
				}
				for _, never := range []string{"will be created", "will be destroyed", "is already managed", "will be adopted"} {
					if strings.Contains(out, never) {
						t.Fatalf("the plan of a moved block should not say %q:\n%s", never, out)
					}
				}
				out = flat(r.must(0, d, "apply"))
				if !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
					t.Fatalf("the apply of a moved block should change nothing:\n%s", out)
				}
				if now := r.read(); !bytes.Equal(now, applied) {
					rm, add := testfixtures.LineDiff(applied, now)
					t.Fatalf("the apply of a moved block changed the file: removed %q added %q", rm, add)
				}
				if list := r.must(0, d, "state", "list"); strings.TrimSpace(list) != mv.to {
					t.Fatalf("after the move the state should hold %s only, not %q", mv.to, list)
				}
				// The moved resource still knows itself in the record: its
				// next plan is empty, and an update writes under the same id.
				r.must(0, d, "plan", "-detailed-exitcode")
				if k.body(0) != k.body(1) {
					d = r.dir("ws", provider+block(k.typ, mv.after, mv.afterKey, k.body(1)))
					r.must(0, d, "apply")
					if now := recordOwners(t, r.read()); strings.Join(now, ",") != strings.Join(owners, ",") {
						t.Fatalf("an update after the move claimed the entry as %v, not as the moved owner %v", now, owners)
					}
				}
				r.must(0, d, "destroy")
				r.restored("destroy after a moved block")
			})
		}
	}
}

// recordOwners lists the owner ids of every entry of the file's record.
func recordOwners(t *testing.T, b []byte) []string {
	t.Helper()
	rec, err := ownership.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range rec.Entries {
		for _, o := range e.Owners {
			ids = append(ids, o.ID)
		}
	}
	return ids
}
