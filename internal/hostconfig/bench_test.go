package hostconfig

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// The engine alone, in process: what one provider process does to one host
// when Terraform refreshes or creates 5 resources on it at once. Each op is
// a new Store, as each Terraform run is a new provider process. The metric
// commands/op is what a real DP would pay in WinRM commands.
func BenchmarkEngine(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts Options
	}{{"optimized", Optimized()}, {"naive", Options{}}} {
		for _, phase := range []string{"refresh", "create"} {
			b.Run(fmt.Sprintf("%s/%s", phase, mode.name), func(b *testing.B) {
				_, r, _ := setupWith(b, testfixtures.ASPNET, mode.opts)
				var commands atomic.Int64
				r.before = func(string, int) error { commands.Add(1); return nil }
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s := New(&remotefile.Client{Runner: r, Host: "dp01", KeepBackups: 2, Gzip: mode.opts.Cache}, "dp01", winPath, mode.opts)
					var wg sync.WaitGroup
					for j := 0; j < 5; j++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							var err error
							if phase == "refresh" {
								_, err = s.Read(context.Background())
							} else {
								_, err = s.Update(context.Background(), allow(fmt.Sprintf(".b%d_%d", i, j)))
							}
							if err != nil {
								b.Error(err)
							}
						}()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(commands.Load())/float64(b.N), "commands/op")
			})
		}
	}
}
