// Command contentbench measures the data source iis_distribution_point_content
// on a DP whose content library holds many files (100,000 by default): a
// real `terraform plan` reads the data source against a simulated DP (with
// a delay injected into every HTTP exchange, as tools/bench does), and it
// prints the wall time, the WinRM commands and HTTP exchanges, the bytes
// moved each way, and the provider process's peak resident memory and CPU
// time (from the provider built with -tags benchstats). `make bench` runs it.
//
//	go run ./tools/contentbench [-files 100000] [-per 500] [-delay 20ms] [-runs 3]
//
// The simulator lists the folder in Go: on Windows the script's own
// enumeration (PowerShell 5.1 over .NET's Directory.GetFiles) adds the
// DP's time to the figures, and the command's time limit (the provider's
// `timeout`) bounds it: the script stops after half of the default and the
// provider asks for the rest in another command.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
	"github.com/dp-tools/terraform-provider-iis/tools/internal/benchmeter"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "contentbench:", err)
		os.Exit(1)
	}
}

func run() error {
	files := flag.Int("files", 100_000, "files in the content library")
	per := flag.Int("per", 500, "files per content (package)")
	delay := flag.Duration("delay", 20*time.Millisecond, "delay injected into every HTTP exchange")
	runs := flag.Int("runs", 3, "plans to run; the median is reported")
	cli := flag.String("terraform", ".tools/bin/terraform", "Terraform (or OpenTofu) CLI")
	fixture := flag.String("fixture", "../shared/fixtures/applicationHost.aspnet-full.config", "applicationHost.config the DP serves a copy of")
	flag.Parse()
	ctx := context.Background()
	wd, _ := os.Getwd()
	root, err := tfrun.ModuleRoot(wd)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(*cli) {
		*cli = filepath.Join(root, *cli)
	}
	if !filepath.IsAbs(*fixture) {
		*fixture = filepath.Join(root, *fixture)
	}
	scratch, err := os.MkdirTemp("", "iis-contentbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	src, err := os.ReadFile(*fixture)
	if err != nil {
		return err
	}
	file := filepath.Join(scratch, "applicationHost.config")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return err
	}
	lib := filepath.Join(scratch, "SCCMContentLib")
	start := time.Now()
	if err := contentlib.Synthetic(lib, *files, *per); err != nil {
		return err
	}
	fmt.Printf("contentbench: a content library of %d files in %d contents (written in %v), %v per HTTP exchange, %s\n",
		*files, (*files+*per-1) / *per, time.Since(start).Round(time.Millisecond), *delay, filepath.Base(*cli))
	m := &benchmeter.Meter{Delay: *delay}
	sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: "bench", Password: "bench-Passw0rd",
		Wrap: m.Wrap, Host: dpsim.HostOptions{ContentLibrary: lib}})
	if err != nil {
		return err
	}
	defer sim.Close()
	h, err := tfrun.New(ctx, filepath.Join(scratch, "tf"), root, *cli, "benchstats")
	if err != nil {
		return err
	}
	config := tfrun.ProviderBlock(sim.Addr.Port, "bench", "bench-Passw0rd") + `
data "iis_distribution_point_content" "dp" {}

output "scanned" {
  value = "${data.iis_distribution_point_content.dp.files} files, ${length(data.iis_distribution_point_content.dp.refused)} refused, extensions ${join(" ", data.iis_distribution_point_content.dp.blocked_extensions)}"
}
`
	type result struct {
		wall                                   time.Duration
		commands, exchanges, bytesIn, bytesOut int64
		rssKiB                                 int64
		cpu                                    time.Duration
	}
	var rs []result
	for i := range *runs {
		stats, _ := os.MkdirTemp(scratch, "rss-")
		tf, err := h.Workspace(fmt.Sprintf("run%d", i), config, map[string]string{"IIS_BENCH_STATS": stats})
		if err != nil {
			return err
		}
		c0, e0, i0, o0 := sim.Stats().CommandsStarted, m.Exchanges.Load(), m.BytesIn.Load(), m.BytesOut.Load()
		t0 := time.Now()
		planFile := filepath.Join(scratch, fmt.Sprintf("run%d.tfplan", i))
		if _, err := tf.Plan(ctx, tfexec.Out(planFile)); err != nil {
			return fmt.Errorf("terraform plan: %w", err)
		}
		r := result{wall: time.Since(t0), commands: sim.Stats().CommandsStarted - c0, exchanges: m.Exchanges.Load() - e0,
			bytesIn: m.BytesIn.Load() - i0, bytesOut: m.BytesOut.Load() - o0}
		r.rssKiB, r.cpu = benchmeter.ProviderStats(stats)
		rs = append(rs, r)
		if i == 0 { // what the data source found, from the plan's output
			plan, err := tf.ShowPlanFile(ctx, planFile)
			if err != nil {
				return err
			}
			if oc, ok := plan.OutputChanges["scanned"]; ok {
				fmt.Printf("contentbench: the data source read %v\n", oc.After)
			}
		}
		fmt.Printf("contentbench: run %d: plan %v, %d WinRM command(s), %d HTTP exchanges, %d bytes sent, %d received; provider peak RSS %.1f MiB, CPU %v\n",
			i+1, r.wall.Round(time.Millisecond), r.commands, r.exchanges, r.bytesIn, r.bytesOut, float64(r.rssKiB)/1024, r.cpu.Round(time.Millisecond))
	}
	// The provider's statistics are snapshots every 100 ms (benchstats.go):
	// a run whose plan process left no snapshot with CPU in it reports the
	// schema process only, and is left out of the memory range.
	var lo, hi int64
	for _, r := range rs {
		if r.cpu < 100*time.Millisecond {
			continue
		}
		if lo == 0 || r.rssKiB < lo {
			lo = r.rssKiB
		}
		hi = max(hi, r.rssKiB)
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].wall < rs[b].wall })
	med := rs[len(rs)/2]
	fmt.Printf("contentbench: scan of %d files (median of %d plans): %v, %d WinRM command(s), %.0f KiB moved (%.0f KiB sent, %.0f KiB received), provider peak RSS %.1f to %.1f MiB\n",
		*files, len(rs), med.wall.Round(time.Millisecond), med.commands, float64(med.bytesIn+med.bytesOut)/1024, float64(med.bytesIn)/1024, float64(med.bytesOut)/1024, float64(lo)/1024, float64(hi)/1024)
	return nil
}
