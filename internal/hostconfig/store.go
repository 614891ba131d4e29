// Package hostconfig runs read-modify-write cycles on one host's
// applicationHost.config: it serialises them within the provider process,
// detects writers outside it by hash, re-applies edits on a fresh copy when
// the file changed under them, and never writes bytes it could not parse.
//
// It also keeps WinRM round trips at the floor the protocol allows: the file
// is read once per host per provider process (refresh of any number of
// resources costs one command), edits that arrive together are written
// together (group commit), and a write starts from the cached copy, so that
// an apply costs one command per batch unless someone else wrote meanwhile.
package hostconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// Options tune a Store. The zero value is the naive mode: no cache, one
// write per edit, no compression.
type Options struct {
	Cache       bool          // answer reads from the last copy read or written
	GroupCommit bool          // write edits that arrive within BatchWindow together
	BatchWindow time.Duration // how long a batch waits for more edits; default 50ms
	Attempts    int           // re-applications after conflicts; default DefaultAttempts
	ReadRetries int           // retries of a read after a transient error; default 3
	RetryDelay  time.Duration // first retry delay, doubled each time; default 250ms
	// ReadBudget bounds one read of the host, its retries included; 0
	// leaves it to the caller's context. The provider sets its timeout
	// here, so that a host that does not answer costs one timeout per run
	// (see UnreachableError), however many resources and retries wait on it.
	ReadBudget time.Duration
	// Work, when set, bounds the parsing and editing the Stores sharing it
	// do at once (see Slots).
	Work Slots
}

// Slots bounds CPU-bound work: parsing a file and applying edits to it.
// Beyond the machine's cores more of it at once is no faster, but each
// holds parsed trees (about ten times the file's size) in memory: a fleet
// apply of 200 DPs would hold 200 at the same time.
type Slots chan struct{}

// NewSlots returns Slots for n at a time.
func NewSlots(n int) Slots { return make(Slots, max(n, 1)) }

// do runs f in a slot; nil Slots run it at once.
func (w Slots) do(f func()) {
	if w == nil {
		f()
		return
	}
	w <- struct{}{}
	defer func() { <-w }()
	f()
}

// holdFor is how long a parsed document stays in memory after its last
// use: long enough for the other resources of the host, which Terraform
// reaches close together, short enough that a fleet holds the trees of a
// few DPs, not of all (see cached).
const holdFor = 2 * time.Second

// Optimized is what the provider uses unless told otherwise.
func Optimized() Options { return Options{Cache: true, GroupCommit: true} }

// DefaultAttempts bounds how often an edit is re-applied after conflicts.
// Writers on one host take turns, so under contention a writer may lose a
// few races in a row; the backoff between attempts grows with jitter.
const DefaultAttempts = 12

// Edit turns the current document into the bytes to write. Returning the
// document's own bytes means "nothing to change". It may run several times
// (after a conflict, on a fresh copy), so it must not keep state across runs
// beyond overwriting its own results.
type Edit func(doc *apphost.Doc) ([]byte, error)

// Store is one host's applicationHost.config.
type Store struct {
	files *remotefile.Client
	host  string
	path  string
	opts  Options

	readMu  sync.Mutex  // one fetch at a time; the others wait for its copy
	cache   cached      // guarded by readMu
	release *time.Timer // drops the cache's hold on its document; guarded by readMu
	// down is the answer of a host that did not answer a read: every
	// later read and write of this process gets it at once. failed is a
	// read's other failure (a file that does not parse, a refusal), given
	// to the reads that follow instead of asking again: one read, one
	// answer for every resource on the host. Both guarded by readMu.
	down   *UnreachableError
	failed error

	commitMu sync.Mutex // one read-modify-write at a time per host in this process
	queueMu  sync.Mutex
	queue    []*pending
	leading  bool // a leader is collecting the queue

	statsMu sync.Mutex
	stats   Stats

	contentMu sync.Mutex                            // one content listing at a time
	content   map[string]*remotefile.ContentLibrary // listings by query (contentKey); guarded by contentMu

	resolvedMu sync.Mutex
	resolved   string // the path as the host expanded it, once read
}

type snapshot struct {
	file *remotefile.File
	doc  *apphost.Doc
}

// cached is the last copy read or written. Its bytes are kept; its parsed
// document (about ten times their size) strongly only for holdFor after its
// last use, then through a weak pointer: a fleet's plan keeps hundreds of
// DPs' files, and memory would otherwise grow by the parsed tree of each
// (issue 14's target is 0.25 MiB per DP). A document the collector took is
// parsed again from the bytes, without a round trip.
type cached struct {
	file *remotefile.File
	doc  weak.Pointer[apphost.Doc]
	held *apphost.Doc // the strong reference while in use
}

// keep makes snap the cached copy; hold says whether a resource is using
// it now (a read ahead is not).
func (s *Store) keep(snap snapshot, hold bool) {
	s.cache = cached{file: snap.file, doc: weak.Make(snap.doc)}
	if hold {
		s.hold(snap.doc)
	}
}

// hold keeps d in memory for holdFor from now. readMu is held.
func (s *Store) hold(d *apphost.Doc) {
	s.cache.held = d
	if s.release == nil {
		s.release = time.AfterFunc(holdFor, func() {
			s.readMu.Lock()
			s.cache.held = nil
			s.readMu.Unlock()
		})
		return
	}
	s.release.Reset(holdFor)
}

// cachedSnapshot returns the cached copy, parsing its bytes again when the
// document was collected. readMu is held.
func (s *Store) cachedSnapshot() (snapshot, error) {
	d := s.cache.doc.Value()
	if d == nil {
		var err error
		s.opts.Work.do(func() { d, err = apphost.Parse(s.cache.file.Content) })
		if err != nil {
			return snapshot{}, err
		}
		s.cache.doc = weak.Make(d)
	}
	s.hold(d)
	return snapshot{file: s.cache.file, doc: d}, nil
}

// Stats counts what a Store did, for tests and benchmarks.
type Stats struct {
	Reads, CacheHits, Writes, Conflicts, Edits, ReadRetries int
}

// New returns a Store for path on the host files talks to.
func New(files *remotefile.Client, host, path string, opts Options) *Store {
	if opts.BatchWindow <= 0 {
		opts.BatchWindow = 50 * time.Millisecond
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.ReadRetries < 0 {
		opts.ReadRetries = 0
	} else if opts.ReadRetries == 0 {
		opts.ReadRetries = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 250 * time.Millisecond
	}
	return &Store{files: files, host: host, path: path, opts: opts}
}

// Path names the file for messages: as the host expanded it
// ("C:\Windows\System32\...") once it has been read, so that every message
// names it the way the host used it; as configured before that.
func (s *Store) Path() string {
	s.resolvedMu.Lock()
	defer s.resolvedMu.Unlock()
	if s.resolved != "" {
		return s.resolved
	}
	return s.path
}

// Stats returns the counters so far.
func (s *Store) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

func (s *Store) count(f func(*Stats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

// FileError is a problem with the file's content: it names the host, the
// file and the line, and says that nothing was written.
type FileError struct {
	Host, Path string
	Err        error // *apphost.ParseError or *apphost.ScopeError, usually
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s on %s: %v; nothing was written", e.Path, e.Host, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Read returns the file: the copy this process last read or wrote when the
// cache is on, so a refresh of many resources costs one command per host.
// When the host's read failed, the resources that read after it get the
// same error without another read.
func (s *Store) Read(ctx context.Context) (*apphost.Doc, error) {
	snap, err := s.current(ctx, readShared)
	if err != nil {
		return nil, err
	}
	return snap.doc, nil
}

// readMode says how current may answer.
type readMode int

const (
	readShared  readMode = iota // the cached copy will do, and so will the cached failure of a read
	readFresh                   // read the file again
	readSettled                 // read it again once a write in progress on the host ends
)

// current returns the cached snapshot, or fetches one. A host found
// unreachable in this process answers with that at once, whatever the mode:
// a write needs a read first, and a second wait would only repeat the first.
func (s *Store) current(ctx context.Context, mode readMode) (snapshot, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.down != nil {
		return snapshot{}, s.down
	}
	if s.opts.Cache && mode == readShared {
		if s.cache.file != nil {
			s.count(func(st *Stats) { st.CacheHits++ })
			snap, err := s.cachedSnapshot()
			if err != nil {
				return snapshot{}, &FileError{Host: s.host, Path: s.cache.file.Path, Err: err}
			}
			return snap, nil
		}
		if s.failed != nil {
			return snapshot{}, s.failed
		}
	}
	return s.readLocked(ctx, mode == readSettled, true)
}

// readLocked reads and parses the file and records the answer: the copy,
// or the failure that the reads after it share. A read the caller canceled
// says nothing about the host and is not recorded. hold: a resource uses
// the document now (see cached). readMu is held.
func (s *Store) readLocked(ctx context.Context, settled, hold bool) (snapshot, error) {
	f, err := s.fetch(ctx, settled)
	snap, err := s.loadLocked(f, err, hold)
	var down *UnreachableError
	switch {
	case err == nil:
		s.failed = nil
	case errors.As(err, &down):
		s.down = down
	case ctx.Err() == nil && s.opts.Cache:
		s.failed = err
	}
	return snap, err
}

// loadLocked parses a file just read and keeps it as the cached copy when
// the cache is on. readMu is held.
func (s *Store) loadLocked(f *remotefile.File, err error, hold bool) (snapshot, error) {
	if err != nil {
		return snapshot{}, err
	}
	s.resolvedMu.Lock()
	s.resolved = f.Path
	s.resolvedMu.Unlock()
	var doc *apphost.Doc
	s.opts.Work.do(func() { doc, err = apphost.Parse(f.Content) })
	if err != nil {
		return snapshot{}, &FileError{Host: s.host, Path: f.Path, Err: err}
	}
	snap := snapshot{file: f, doc: doc}
	if s.opts.Cache {
		s.keep(snap, hold)
	}
	return snap, nil
}

// prefetch fills the cache, unless a copy or an answer is there: a refresh
// that is about to need the file starts its read early. Its answer, a copy
// or a failure, is the one the resources on the host get.
func (s *Store) prefetch(ctx context.Context) error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	switch {
	case s.down != nil:
		return s.down
	case s.failed != nil:
		return s.failed
	case s.cache.file != nil:
		return nil
	}
	_, err := s.readLocked(ctx, false, false)
	return err
}

// remember records a file this process wrote as the current copy.
func (s *Store) remember(snap snapshot) {
	if !s.opts.Cache {
		return
	}
	s.readMu.Lock()
	s.keep(snap, true)
	s.readMu.Unlock()
}

// fetch reads the file, retrying with backoff when the failure is transient
// (a dropped connection, a timeout, a busy host), all within the read
// budget. Reading twice is harmless. A host that did not answer (no
// connection, or no reply before the budget ran out) gets an
// *UnreachableError; a host that answered with an error gets that error.
func (s *Store) fetch(ctx context.Context, settled bool) (*remotefile.File, error) {
	start := time.Now()
	bctx := ctx
	if s.opts.ReadBudget > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, s.opts.ReadBudget)
		defer cancel()
	}
	delay := s.opts.RetryDelay
	read := s.files.Read
	if settled {
		read = s.files.ReadSettled
	}
	logReadStart(ctx, s.host, s.path)
	for attempt := 1; ; attempt++ {
		s.count(func(st *Stats) { st.Reads++ })
		f, err := read(bctx, s.path)
		if err == nil {
			logReadEnd(ctx, s.host, start, attempt, len(f.Content), nil)
			return f, nil
		}
		if ctx.Err() != nil {
			logReadEnd(ctx, s.host, start, attempt, 0, err)
			return f, err // a cancellation by the caller is no answer of the host's
		}
		retry := attempt <= s.opts.ReadRetries && Transient(err) && bctx.Err() == nil
		if dl, ok := bctx.Deadline(); retry && ok && time.Until(dl) < delay {
			retry = false // the pause would outlast the budget
		}
		if retry {
			s.count(func(st *Stats) { st.ReadRetries++ })
			retry = sleep(bctx, delay) == nil
		}
		if !retry {
			if silent(bctx, err) {
				err = &UnreachableError{Host: s.host, Path: s.path, Attempts: attempt, Elapsed: time.Since(start), Err: err}
			}
			logReadEnd(ctx, s.host, start, attempt, 0, err)
			return nil, err
		}
		delay *= 2
	}
}

// Transient reports whether an error may go away on its own: a transport
// error that says so (Temporary() bool), or a busy write lock on the host.
func Transient(err error) bool {
	if remotefile.IsCode(err, remotefile.CodeBusy) {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

type pending struct {
	edit Edit
	done chan result
}

type result struct {
	doc *apphost.Doc
	err error
}

// Update applies edit to the current file and replaces it, re-reading and
// re-applying when another writer got there first. With group commit, edits
// that arrive while a batch is forming are applied in order to one copy and
// written once; each caller gets its own edit's error. It returns the
// document now on the host.
func (s *Store) Update(ctx context.Context, edit Edit) (*apphost.Doc, error) {
	p := &pending{edit: edit, done: make(chan result, 1)}
	if !s.opts.GroupCommit {
		s.commitMu.Lock()
		s.commit(ctx, []*pending{p})
		s.commitMu.Unlock()
		r := <-p.done
		return r.doc, r.err
	}
	s.queueMu.Lock()
	s.queue = append(s.queue, p)
	lead := !s.leading
	s.leading = true
	s.queueMu.Unlock()
	if lead {
		// Let the other edits of this apply arrive, then wait for the host's
		// turn; whatever queued up by then is this batch.
		_ = sleep(ctx, s.opts.BatchWindow)
		s.commitMu.Lock()
		// Read before taking the batch: the read's round trips are a window
		// in which the rest of the apply's edits for this host arrive. (An
		// error here is met again, and reported, inside commit.)
		_, _ = s.current(ctx, readShared)
		s.queueMu.Lock()
		batch := s.queue
		s.queue, s.leading = nil, false
		s.queueMu.Unlock()
		s.commit(ctx, batch)
		s.commitMu.Unlock()
	}
	select {
	case r := <-p.done:
		return r.doc, r.err
	case <-ctx.Done():
		// The batch goes on without us; its result for this edit is lost
		// only to this caller, who reports the cancellation.
		return nil, ctx.Err()
	}
}

// commit runs one read-modify-write for a batch and answers every edit.
func (s *Store) commit(ctx context.Context, batch []*pending) {
	s.count(func(st *Stats) { st.Edits += len(batch) })
	mode := readShared
	var next *snapshot // the file a conflict answer brought back
	for attempt := 1; ; attempt++ {
		var snap snapshot
		var err error
		if next != nil {
			snap, next = *next, nil
		} else if snap, err = s.current(ctx, mode); err != nil {
			answerAll(batch, err)
			return
		}
		var doc *apphost.Doc
		var errs []error
		s.opts.Work.do(func() { doc, errs = s.apply(snap, batch) })
		if bytes.Equal(doc.Bytes(), snap.file.Content) {
			answer(batch, doc, errs)
			return
		}
		if ferr := faultBefore(snap.doc, doc); ferr != nil {
			answerAll(batch, &FileError{Host: s.host, Path: snap.file.Path, Err: ferr})
			return
		}
		s.count(func(st *Stats) { st.Writes++ })
		logWriteStart(ctx, s.host, s.path, len(batch), len(doc.Bytes()))
		wstart := time.Now()
		res, err := s.files.WriteValidated(ctx, s.path, snap.file.SHA256, doc.Bytes(), touchedPaths(snap.doc, doc))
		backup := ""
		if res != nil {
			backup = res.Backup
		}
		logWriteEnd(ctx, s.host, wstart, len(doc.Bytes()), backup, err)
		var conflict *remotefile.ConflictError
		switch {
		case err == nil && res.ReplacedSince:
			// Written, then replaced by another writer: this run's next
			// look at the host reads what is there now.
			s.remember(snapshot{})
			answer(batch, doc, errs)
			return
		case err == nil:
			s.remember(snapshot{file: &remotefile.File{Path: snap.file.Path, SHA256: remotefile.Hash(doc.Bytes()), Content: doc.Bytes()}, doc: doc})
			answer(batch, doc, errs)
			return
		case errors.As(err, &conflict):
			s.count(func(st *Stats) { st.Conflicts++ })
			if attempt >= s.opts.Attempts {
				answerAll(batch, fmt.Errorf("%s on %s kept changing while Terraform wrote it (%d attempts); nothing was written: find the other writer (IIS Manager, appcmd, another pipeline) and run terraform apply again", snap.file.Path, s.host, attempt))
				return
			}
			mode = readFresh             // the cached copy is stale: read the file again...
			if conflict.Current != nil { // ...unless the host sent it along
				var d *apphost.Doc
				var perr error
				s.opts.Work.do(func() { d, perr = apphost.Parse(conflict.Current.Content) })
				if perr == nil {
					cur := conflict.Current
					cur.Path = snap.file.Path
					next = &snapshot{file: cur, doc: d}
					s.remember(*next)
				}
			}
			if err := sleep(ctx, backoff(attempt)); err != nil {
				answerAll(batch, err)
				return
			}
		case answered(err):
			// The host said what happened (and whether the change was
			// applied): that stands, whatever is on disk now.
			answerAll(batch, s.explain(ctx, snap, err))
			return
		default:
			settled, serr := s.settle(ctx, snap.file, doc, err)
			if serr != nil {
				answerAll(batch, serr)
				return
			}
			answer(batch, settled, errs)
			return
		}
	}
}

// apply runs the batch's edits in order on one document. An edit that fails
// is left out and gets its error; the others go on from the last good copy.
func (s *Store) apply(snap snapshot, batch []*pending) (*apphost.Doc, []error) {
	doc := snap.doc
	errs := make([]error, len(batch))
	for i, p := range batch {
		out, err := p.edit(doc)
		if err != nil {
			errs[i] = &FileError{Host: s.host, Path: snap.file.Path, Err: err}
			continue
		}
		if bytes.Equal(out, doc.Bytes()) {
			continue
		}
		// The editor re-parses too; this is the last gate before the host.
		next, err := apphost.Parse(out)
		if err != nil {
			errs[i] = &FileError{Host: s.host, Path: snap.file.Path, Err: fmt.Errorf("internal error: the edited file would not parse: %w", err)}
			continue
		}
		doc = next
	}
	return doc, errs
}

func answer(batch []*pending, doc *apphost.Doc, errs []error) {
	for i, p := range batch {
		if errs[i] != nil {
			p.done <- result{err: errs[i]}
		} else {
			p.done <- result{doc: doc}
		}
	}
}

func answerAll(batch []*pending, err error) {
	for _, p := range batch {
		p.done <- result{err: err}
	}
}

// FaultBeforeError is a fault IIS rejects that the file held before the
// edit, and still holds after it: IIS would refuse every write, so none is
// tried, and applying again cannot help until someone fixes the file.
type FaultBeforeError struct {
	Err error // the fault, with its line (an *apphost.ScopeError)
}

func (e *FaultBeforeError) Error() string {
	return fmt.Sprintf("the file already held an entry IIS rejects before this change, so IIS would refuse any new version of it and "+
		"applying again cannot succeed until the file is fixed: %v", e.Err)
}

func (e *FaultBeforeError) Unwrap() error { return e.Err }

// faultBefore checks an edited file the way IIS will (see
// apphost.CheckCollections); when it fails and the file failed the same
// way before the edit, it returns that earlier fault, named by its line in
// the file as it is on the host. An edit that fixes the fault, or a fault
// only the edit made, is left to the host's own check after the write.
func faultBefore(before, after *apphost.Doc) error {
	if after.CheckCollections() == nil {
		return nil
	}
	if err := before.CheckCollections(); err != nil {
		return &FaultBeforeError{Err: err}
	}
	return nil
}

// repairAfter follows a write that left the live file missing (the script
// could not move the backup back, CodeLiveMissing) with one settled read,
// whose script repairs what it can tell apart; the error then says whether
// the file is back. Any other error is returned as it is.
func (s *Store) repairAfter(ctx context.Context, err error) error {
	if !remotefile.IsCode(err, remotefile.CodeLiveMissing) {
		return err
	}
	if _, rerr := s.current(ctx, readSettled); rerr != nil {
		return fmt.Errorf("%w; a repair was tried and failed: %v", err, rerr)
	}
	return fmt.Errorf("%w; a later read put the previous file back in place: run terraform apply again", err)
}

// explain completes an error the write script answered with what the
// provider knows beyond the host: a missing live file is repaired where
// that is unambiguous; a rejection says whether applying again can help,
// and a fault IIS found in the file as it was before the edit is named by
// its line when the provider's own check finds it too.
func (s *Store) explain(ctx context.Context, before snapshot, err error) error {
	err = s.named(err)
	switch {
	case remotefile.IsCode(err, remotefile.CodeLiveMissing):
		return s.repairAfter(ctx, err)
	case remotefile.IsCode(err, remotefile.CodeRejectedBefore):
		if ferr := before.doc.CheckCollections(); ferr != nil {
			return fmt.Errorf("%w, and applying again cannot succeed until the file is fixed: %v", err, ferr)
		}
		return fmt.Errorf("%w, and applying again cannot succeed until the file is fixed: run %s on %s to see what IIS refuses, and fix it by hand",
			err, appcmdCheck(before.file.Path), s.host)
	case remotefile.IsCode(err, remotefile.CodeRejected):
		return fmt.Errorf("%w, and applying it again would be refused the same way", err)
	}
	return err
}

// answered reports an error the write script itself answered.
func answered(err error) bool {
	var e *remotefile.Error
	return errors.As(err, &e) && e.Answered()
}

// settle finds out, after a write's answer was lost (a transport error, a
// script that ended without answering), whether it took effect, so the error
// can say so. It is never used on an answer the script gave: a failure the
// host reported stays a failure even when the new bytes are on disk. A write
// is never blindly repeated.
func (s *Store) settle(ctx context.Context, before *remotefile.File, doc *apphost.Doc, werr error) (*apphost.Doc, error) {
	werr = s.named(werr)
	// The write may still be running on the host (its answer lost, not
	// its work): wait for the host's write lock before looking.
	now, err := s.current(ctx, readSettled)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w; whether the change was applied is unknown (the file could not be read back: %v): run terraform plan to see the state of %s", werr, err, s.host)
	case now.file.SHA256 == remotefile.Hash(doc.Bytes()):
		return now.doc, nil // the replace happened; only its answer was lost
	case now.file.SHA256 == before.SHA256:
		return nil, fmt.Errorf("%w; the change was not applied (the file is unchanged): run terraform apply again", werr)
	default:
		return nil, fmt.Errorf("%w; the change was not applied and another writer has changed the file since: run terraform apply again", werr)
	}
}

// named gives a remote error the file's name as the host expanded it, once
// known: a transport failure carries only the configured path, and the
// rest of the message may name the file as the host did.
func (s *Store) named(err error) error {
	var re *remotefile.Error
	if errors.As(err, &re) && re.Path == s.path {
		re.Path = s.Path()
	}
	return err
}

// appcmdCheck is the command the write script runs to ask IIS whether it
// accepts the file (remotefile.WriteScript, step 7), with appcmd.exe named
// the way the host named the file: it lives in inetsrv, above the config
// folder, so C:\Windows\...\inetsrv\config\applicationHost.config gives
// C:\Windows\...\inetsrv\appcmd.exe. A file elsewhere leaves the bare name.
func appcmdCheck(file string) string {
	const suffix = `\config\applicationhost.config`
	exe := "appcmd.exe"
	if lower := strings.ToLower(file); strings.HasSuffix(lower, `\inetsrv`+suffix) {
		exe = file[:len(file)-len(suffix)] + `\appcmd.exe`
	}
	return exe + " list config -section:system.webServer/security/requestFiltering"
}

// backoff is the pause before attempt+1: 10ms doubling to at most 640ms,
// with full jitter so that writers who lost together do not retry together.
func backoff(attempt int) time.Duration {
	ceiling := 10 * time.Millisecond << min(attempt-1, 6)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
