// Package hostconfig runs read-modify-write cycles on one host's
// applicationHost.config: it serialises them within the provider process,
// detects writers outside it by hash, re-applies an edit on a fresh copy when
// the file changed under it, and never writes bytes it could not parse.
package hostconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// DefaultAttempts bounds how often an edit is re-applied after conflicts.
const DefaultAttempts = 5

// Edit turns the current document into the bytes to write. Returning the
// document's own bytes means "nothing to change". It may run several times.
type Edit func(doc *apphost.Doc) ([]byte, error)

// Store is one host's applicationHost.config.
type Store struct {
	files    *remotefile.Client
	host     string
	path     string
	attempts int

	mu sync.Mutex // one read-modify-write at a time per host in this process
}

// New returns a Store for path on the host files talks to.
func New(files *remotefile.Client, host, path string) *Store {
	return &Store{files: files, host: host, path: path, attempts: DefaultAttempts}
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

// Read returns the file as it is now.
func (s *Store) Read(ctx context.Context) (*apphost.Doc, error) {
	doc, _, err := s.read(ctx)
	return doc, err
}

func (s *Store) read(ctx context.Context) (*apphost.Doc, *remotefile.File, error) {
	f, err := s.files.Read(ctx, s.path)
	if err != nil {
		return nil, nil, err
	}
	doc, err := apphost.Parse(f.Content)
	if err != nil {
		return nil, nil, &FileError{Host: s.host, Path: f.Path, Err: err}
	}
	return doc, f, nil
}

// Update applies edit to the current file and replaces it, re-reading and
// re-applying when another writer got there first. It returns the document
// now on the host.
func (s *Store) Update(ctx context.Context, edit Edit) (*apphost.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		doc, f, err := s.read(ctx)
		if err != nil {
			return nil, err
		}
		out, err := edit(doc)
		if err != nil {
			return nil, &FileError{Host: s.host, Path: f.Path, Err: err}
		}
		if bytes.Equal(out, f.Content) {
			return doc, nil
		}
		next, err := apphost.Parse(out)
		if err != nil { // the editor re-parses too; this is the last gate before the host
			return nil, &FileError{Host: s.host, Path: f.Path, Err: fmt.Errorf("internal error: the edited file would not parse: %w", err)}
		}
		_, err = s.files.Write(ctx, s.path, f.SHA256, out)
		var conflict *remotefile.ConflictError
		switch {
		case err == nil:
			return next, nil
		case errors.As(err, &conflict):
			if attempt >= s.attempts {
				return nil, fmt.Errorf("%s on %s kept changing while Terraform wrote it (%d attempts); nothing was written: find the other writer (IIS Manager, appcmd, another pipeline) and run terraform apply again", f.Path, s.host, attempt)
			}
			if err := sleep(ctx, time.Duration(attempt)*50*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		default:
			if err := s.settle(ctx, f, out, err); err != nil {
				return nil, err
			}
			return next, nil
		}
	}
}

// settle finds out, after a write failed in transit, whether it took effect,
// so the error can say so. A write is never blindly repeated.
func (s *Store) settle(ctx context.Context, before *remotefile.File, out []byte, werr error) error {
	now, err := s.files.Read(ctx, s.path)
	switch {
	case err != nil:
		return fmt.Errorf("%w; whether the change was applied is unknown (the file could not be read back: %v): run terraform plan to see the state of %s", werr, err, s.host)
	case now.SHA256 == remotefile.Hash(out):
		return nil // the replace happened; only its answer was lost
	case now.SHA256 == before.SHA256:
		return fmt.Errorf("%w; the change was not applied (the file is unchanged): run terraform apply again", werr)
	default:
		return fmt.Errorf("%w; the change was not applied and another writer has changed the file since: run terraform apply again", werr)
	}
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

// Path is the file's path as configured.
func (s *Store) Path() string { return s.path }
