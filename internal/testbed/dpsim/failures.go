package dpsim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// failureSpec is one modelled Windows failure: where it strikes (the
// primitive whose calls are counted for @N) and what it does.
type failureSpec struct {
	name string
	prim string // replace, write, read, move, delete, lock, list, appcmd, hash, file, script
	// after: the failure strikes once the primitive has completed (the
	// process killed after the step), not instead of it.
	after bool
	// everyScript: a condition of the host that every script meets (reads
	// too); other failures count and strike in write scripts only.
	everyScript bool
	doc         string // what the failure models, for the reader of the catalogue
}

// failureSpecs is the catalogue; `dpsim -fail help` prints its names, in
// that order.
func failureSpecs() []failureSpec {
	return []failureSpec{
		{name: "replace-1175", prim: "replace", doc: "ReplaceFile fails with ERROR_UNABLE_TO_REMOVE_REPLACED: both files keep their names"},
		{name: "replace-1176", prim: "replace", doc: "ReplaceFile fails with ERROR_UNABLE_TO_MOVE_REPLACEMENT: both files keep their names (a backup name was given)"},
		{name: "replace-1177", prim: "replace", doc: "ReplaceFile fails with ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: the live file is under the backup name, the new one under its temporary name, the live path is empty"},
		{name: "replace-sharing-violation", prim: "replace", doc: "ReplaceFile fails with a sharing violation (32: an antivirus holds the temporary file); nothing moved"},
		{name: "replace-access-denied", prim: "replace", doc: "ReplaceFile fails with access denied (5); nothing moved"},
		{name: "write-disk-full", prim: "write", doc: "WriteAllBytes of the temporary file fails with ERROR_DISK_FULL (112), leaving a partial file"},
		{name: "read-sharing-violation", prim: "read", doc: "ReadAllBytes fails with a sharing violation (32); @3 is the read of the backup after the swap"},
		{name: "move-access-denied", prim: "move", doc: "File.Move (the recovery of a failed swap) fails with access denied"},
		{name: "delete-access-denied", prim: "delete", doc: "File.Delete fails with access denied (leftovers, temporary files, old backups)"},
		{name: "lock-timeout", prim: "lock", doc: "the write lock is not granted within 60 s (another writer holds it)"},
		{name: "filtered-token", prim: "file", everyScript: true, doc: "the account is a local administrator other than the built-in one over NTLM: UAC remote restrictions give it a filtered token, so every access to inetsrv\\config is denied"},
		{name: "fips", prim: "hash", everyScript: true, doc: "the \"Use FIPS compliant algorithms\" policy is on: SHA256Managed throws, SHA256CryptoServiceProvider works"},
		{name: "constrained-language", prim: "script", everyScript: true, doc: "PowerShell runs in Constrained Language Mode (AppLocker/WDAC)"},
		{name: "appcmd-rejects", prim: "appcmd", doc: "appcmd.exe exits with 13 and IIS's configuration error on stdout"},
		{name: "appcmd-rejects-on-stderr", prim: "appcmd", doc: "appcmd.exe exits with 13 and IIS's configuration error on stderr"},
		{name: "appcmd-stderr-warning", prim: "appcmd", doc: "appcmd.exe writes a line to stderr and exits with 0 (fatal under Windows PowerShell 5.1 with Stop semantics)"},
		{name: "appcmd-cannot-start", prim: "appcmd", doc: "appcmd.exe cannot be started (the native call throws)"},
		{name: "kill-after-lock", prim: "lock", after: true, doc: "the process is killed right after it takes the write lock"},
		{name: "kill-after-list", prim: "list", after: true, doc: "the process is killed right after a directory listing"},
		{name: "kill-after-delete", prim: "delete", after: true, doc: "the process is killed right after a File.Delete"},
		{name: "kill-after-write", prim: "write", after: true, doc: "the process is killed right after it writes the temporary file"},
		{name: "kill-after-read", prim: "read", after: true, doc: "the process is killed right after a ReadAllBytes"},
		{name: "kill-in-replace", prim: "replace", doc: "the process is killed inside ReplaceFile, between the rename of the live file to the backup name and the move of the replacement"},
		{name: "kill-after-replace", prim: "replace", after: true, doc: "the process is killed right after a ReplaceFile completes"},
		{name: "kill-after-move", prim: "move", after: true, doc: "the process is killed right after a File.Move"},
		{name: "kill-after-appcmd", prim: "appcmd", after: true, doc: "the process is killed right after appcmd.exe exits"},
	}
}

// FailureNames lists the failures the simulator models, in catalogue order.
func FailureNames() []string {
	specs := failureSpecs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// specNamed finds a failure of the catalogue by its name.
func specNamed(name string) (failureSpec, bool) {
	for _, s := range failureSpecs() {
		if s.name == name {
			return s, true
		}
	}
	return failureSpec{}, false
}

// Injection asks for a modelled failure: at every occurrence of its
// primitive (N = 0) or only at the Nth.
type Injection struct {
	Name string
	N    int
}

func (i Injection) String() string {
	if i.N > 0 {
		return fmt.Sprintf("%s@%d", i.Name, i.N)
	}
	return i.Name
}

// ParseInjections reads NAME, NAME@N, and lists of them separated by commas.
func ParseInjections(spec string) ([]Injection, error) {
	var out []Injection
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, n, hasN := strings.Cut(part, "@")
		inj := Injection{Name: name}
		if hasN {
			v, err := strconv.Atoi(n)
			if err != nil || v < 1 {
				return nil, fmt.Errorf("%q: the occurrence after @ must be a number from 1", part)
			}
			inj.N = v
		}
		if _, ok := specNamed(name); !ok {
			return nil, fmt.Errorf("%q: no such failure (dpsim -fail help lists them)", name)
		}
		out = append(out, inj)
	}
	return out, nil
}

// Failures holds the injected failures of one simulated host: safe for
// concurrent use, changeable while the host runs.
type Failures struct {
	mu    sync.Mutex
	rules []*failRule
}

type failRule struct {
	inj        Injection
	spec       failureSpec
	seen, hits int
}

// NewFailures returns a set with the given injections.
func NewFailures(injs ...Injection) (*Failures, error) {
	f := &Failures{}
	return f, f.Set(injs...)
}

// Set replaces the injections and their counters.
func (f *Failures) Set(injs ...Injection) error {
	rules := make([]*failRule, 0, len(injs))
	for _, inj := range injs {
		spec, ok := specNamed(inj.Name)
		if !ok {
			return fmt.Errorf("no such failure %q", inj.Name)
		}
		rules = append(rules, &failRule{inj: inj, spec: spec})
	}
	f.mu.Lock()
	f.rules = rules
	f.mu.Unlock()
	return nil
}

// Injected counts the failures that struck so far.
func (f *Failures) Injected() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.rules {
		n += r.hits
	}
	return n
}

// Hits counts how often the named failure struck.
func (f *Failures) Hits(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.rules {
		if r.spec.name == name {
			n += r.hits
		}
	}
	return n
}

// strike counts one occurrence of prim (before it runs, or after it
// completed) and returns the names of the failures that strike now.
func (f *Failures) strike(prim string, after, inWrite bool) []string {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.rules {
		if r.spec.prim != prim || r.spec.after != after || (!inWrite && !r.spec.everyScript) {
			continue
		}
		r.seen++
		if r.inj.N == 0 || r.seen == r.inj.N {
			r.hits++
			out = append(out, r.spec.name)
		}
	}
	return out
}
