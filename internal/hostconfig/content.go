package hostconfig

import (
	"context"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// ListContent lists the host's ConfigMgr content library through the
// Store's connection (its WinRM shell is reused): the data source
// iis_distribution_point_content reaches the host only this way, never
// through the WinRM client itself. A transient failure (Transient) is
// retried as a read is, ReadRetries times with a doubling delay. Nothing is
// cached: the library changes with every distribution, and the data source
// reads it once per run.
func (s *Store) ListContent(ctx context.Context, q remotefile.ContentQuery) (*remotefile.ContentLibrary, error) {
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
