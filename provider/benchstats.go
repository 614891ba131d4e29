//go:build unix

package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// StartBenchStats writes this process's peak memory to dir/<pid>.json every
// 100 ms, for `make bench`; Terraform starts the provider as a child
// process and stops it without a word, so the last snapshot is what the
// benchmark reads. Off unless IIS_BENCH_STATS names a folder.
func StartBenchStats(ctx context.Context) {
	dir := os.Getenv("IIS_BENCH_STATS")
	if dir == "" {
		return
	}
	file := filepath.Join(dir, fmt.Sprintf("%d.json", os.Getpid()))
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b, _ := json.Marshal(map[string]int64{"max_rss_kib": ru.Maxrss})
				_ = os.WriteFile(file, b, 0o644)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
