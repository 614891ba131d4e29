package hostconfig

import (
	"context"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// ListContent lists the host's ConfigMgr content library through the
// Store's connection (its WinRM shell is reused): the data source
// iis_distribution_point_content reaches the host only this way, never
// through the WinRM client itself. Nothing is cached: the library changes
// with every distribution, and the data source reads it once per run.
func (s *Store) ListContent(ctx context.Context, q remotefile.ContentQuery) (*remotefile.ContentLibrary, error) {
	return s.files.ListContent(ctx, q)
}
