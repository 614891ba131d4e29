package hostconfig

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// The progress of a run, at INFO: one line when a host's read or write
// starts and one when it ends, so that TF_LOG=INFO shows which DPs a long
// run waits on. Error texts name the host and file, never a credential.

func logReadStart(ctx context.Context, host, path string) {
	tflog.Info(ctx, "reading applicationHost.config", map[string]any{"host": host, "path": path})
}

func logReadEnd(ctx context.Context, host string, start time.Time, attempts, size int, err error) {
	fields := map[string]any{"host": host, "duration_ms": time.Since(start).Milliseconds(), "attempts": attempts}
	if err != nil {
		fields["error"] = err.Error()
		tflog.Info(ctx, "read of applicationHost.config failed", fields)
		return
	}
	fields["bytes"] = size
	tflog.Info(ctx, "read applicationHost.config", fields)
}

func logWriteStart(ctx context.Context, host, path string, edits, size int) {
	tflog.Info(ctx, "writing applicationHost.config", map[string]any{"host": host, "path": path, "edits": edits, "bytes": size})
}

func logWriteEnd(ctx context.Context, host string, start time.Time, size int, backup string, err error) {
	fields := map[string]any{"host": host, "duration_ms": time.Since(start).Milliseconds()}
	if err != nil {
		fields["error"] = err.Error()
		tflog.Info(ctx, "write of applicationHost.config failed", fields)
		return
	}
	fields["bytes"], fields["backup"] = size, backup
	tflog.Info(ctx, "wrote applicationHost.config", fields)
}
