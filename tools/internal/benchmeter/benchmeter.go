// Package benchmeter is what the benchmarks under tools/ share: a meter that
// slows and counts one simulated DP's HTTP exchanges, and the statistics the
// provider processes write themselves (benchstats.go, IIS_BENCH_STATS).
package benchmeter

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Meter counts and slows one DP's HTTP exchanges: Wrap is the simulator's
// dpsim.Options.Wrap.
type Meter struct {
	Delay     time.Duration // added to every exchange: the cost floor of a WAN
	Exchanges atomic.Int64
	BytesIn   atomic.Int64 // request bodies
	BytesOut  atomic.Int64 // response bodies
	// OnExchange, when set, sees each request body and the bytes of its
	// response, for a benchmark that sorts exchanges by kind.
	OnExchange func(request []byte, responseBytes int64)
}

// Wrap meters next.
func (m *Meter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(m.Delay)
		m.Exchanges.Add(1)
		body, _ := io.ReadAll(r.Body)
		m.BytesIn.Add(int64(len(body)))
		r.Body = io.NopCloser(bytes.NewReader(body))
		cw := &countingWriter{ResponseWriter: w, total: &m.BytesOut}
		next.ServeHTTP(cw, r)
		if m.OnExchange != nil {
			m.OnExchange(body, cw.written)
		}
	})
}

type countingWriter struct {
	http.ResponseWriter
	total   *atomic.Int64
	written int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.total.Add(int64(len(b)))
	c.written += int64(len(b))
	return c.ResponseWriter.Write(b)
}

// ProviderStats is the largest peak resident size any provider process
// reported in dir and their CPU time summed (sampled every 100 ms, so a
// little low). A file that cannot be read or parsed is skipped: a process
// killed before it wrote its statistics only makes the figures lower.
func ProviderStats(dir string) (peakKiB int64, cpu time.Duration) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var s struct {
			MaxRSS int64 `json:"max_rss_kib"`
			CPU    int64 `json:"cpu_ms"`
		}
		if json.Unmarshal(b, &s) == nil {
			peakKiB = max(peakKiB, s.MaxRSS)
			cpu += time.Duration(s.CPU) * time.Millisecond
		}
	}
	return peakKiB, cpu
}
