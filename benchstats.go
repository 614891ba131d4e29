//go:build benchstats && unix

// The benchmark's view of the provider process, compiled only into the
// binary `make bench` builds (go build -tags benchstats): the shipped
// provider carries no profiler and reads no IIS_BENCH_* variable.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// startBenchStats writes this process's peak memory and CPU time to
// dir/<pid>.json every 100 ms, for `make bench`; Terraform starts the
// provider as a child process and may stop it without a word, so the last
// snapshot is what the benchmark reads. With IIS_BENCH_CPUPROFILE=1 it also
// writes a CPU profile, dir/<pid>.pprof, and an allocation profile,
// dir/<pid>.allocs.pprof (allocation volume is what the collector's CPU
// time follows), complete once the returned stop runs (Terraform ends
// providers gracefully, so main returns). Off unless IIS_BENCH_STATS names
// a folder.
func startBenchStats(ctx context.Context) (stop func()) {
	dir := os.Getenv("IIS_BENCH_STATS")
	if dir == "" {
		return func() {}
	}
	stop = func() {}
	if os.Getenv("IIS_BENCH_CPUPROFILE") == "1" {
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.pprof", os.Getpid()))); err == nil && pprof.StartCPUProfile(f) == nil {
			stop = func() {
				pprof.StopCPUProfile()
				_ = f.Close()
				// The profile's in-use figures lag by a collection or two.
				runtime.GC()
				runtime.GC()
				if a, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.allocs.pprof", os.Getpid()))); err == nil {
					_ = pprof.Lookup("allocs").WriteTo(a, 0)
					_ = a.Close()
				}
			}
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
				b, _ := json.Marshal(map[string]int64{"max_rss_kib": peakRSSKiB(ru.Maxrss), "cpu_ms": cpu.Milliseconds()})
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

// peakRSSKiB is VmHWM, the peak resident size of this process's own memory.
// getrusage's ru_maxrss is no good for a plugin: Linux carries it across
// exec, and Go forks the child sharing Terraform's address space, so every
// provider seemed to peak at Terraform's size (about 70 MiB) before it ran
// a line. Where /proc is missing, ru_maxrss it is.
func peakRSSKiB(maxrss int64) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return maxrss
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			if n, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64); err == nil {
				return n
			}
		}
	}
	return maxrss
}
