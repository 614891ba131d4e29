package hostconfig

import (
	"context"
	"fmt"
	"slices"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// ListContent lists the host's ConfigMgr content library through the
// Store's connection (its WinRM shell is reused): the data source
// iis_distribution_point_content reaches the host only this way, never
// through the WinRM client itself. A transient failure (Transient) is
// retried as a read is, ReadRetries times with a doubling delay. With the
// cache on, a listing is kept for the process like the file, per query:
// two data sources on one DP (the module's report and its gate) list the
// library once per run; a failure is not kept. Callers must not change
// the listing they get.
func (s *Store) ListContent(ctx context.Context, q remotefile.ContentQuery) (*remotefile.ContentLibrary, error) {
	if !s.opts.Cache {
		return s.listContent(ctx, q)
	}
	key := contentKey(q)
	s.contentMu.Lock() // one listing at a time: a second caller waits for the first's answer
	defer s.contentMu.Unlock()
	if lib, ok := s.content[key]; ok {
		return lib, nil
	}
	lib, err := s.listContent(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.content == nil {
		s.content = map[string]*remotefile.ContentLibrary{}
	}
	s.content[key] = lib
	return lib, nil
}

func (s *Store) listContent(ctx context.Context, q remotefile.ContentQuery) (*remotefile.ContentLibrary, error) {
	delay := s.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		lib, err := s.files.ListContent(ctx, q)
		if err == nil || attempt >= s.opts.ReadRetries || !Transient(err) || ctx.Err() != nil {
			return lib, err
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
		delay *= 2
	}
}

// contentKey tells queries apart that may list different things: the IDs
// in any order (spelled as given: a listing names the IDs it did not find
// as the query spelled them) and the bounds of one command.
func contentKey(q remotefile.ContentQuery) string {
	ids := slices.Sorted(slices.Values(q.IDs))
	return fmt.Sprintf("%q|%d|%d", ids, q.TimeBudget, q.MaxBytes)
}
