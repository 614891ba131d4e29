//go:build unix

package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
)

// StartBenchStats writes this process's peak memory and CPU time to
// dir/<pid>.json every 100 ms, for `make bench`; Terraform starts the
// provider as a child process and may stop it without a word, so the last
// snapshot is what the benchmark reads. With IIS_BENCH_CPUPROFILE=1 it also
// writes a CPU profile, dir/<pid>.pprof, complete once the returned stop
// runs (Terraform ends providers gracefully, so main returns). Off unless
// IIS_BENCH_STATS names a folder.
func StartBenchStats(ctx context.Context) (stop func()) {
	dir := os.Getenv("IIS_BENCH_STATS")
	if dir == "" {
		return func() {}
	}
	stop = func() {}
	if os.Getenv("IIS_BENCH_CPUPROFILE") == "1" {
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.pprof", os.Getpid()))); err == nil && pprof.StartCPUProfile(f) == nil {
			stop = func() { pprof.StopCPUProfile(); _ = f.Close() }
		}
	}
	file := filepath.Join(dir, fmt.Sprintf("%d.json", os.Getpid()))
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				b, _ := json.Marshal(map[string]int64{"max_rss_kib": ru.Maxrss, "cpu_ms": cpu.Milliseconds()})
				_ = os.WriteFile(file, b, 0o644)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return stop
}
