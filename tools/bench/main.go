// Command bench measures the provider at the cost floor of WinRM: N
// simulated DPs (a delay injected into every HTTP exchange), 5 entries
// each, a real `terraform apply`, a refresh `plan`, a drift `plan` and an
// apply at -parallelism=10, in three modes: optimized (5 single-entry
// resources per DP), policy (one iis_request_filtering_policy per DP with
// the 5 entries) and naive (IIS_OPTIMIZATIONS=off: no read cache, group
// commit, shell reuse or compression; up to -naive-max DPs, as it is slow),
// with the ratios and the targets of issues 4 and 14, and Terraform's own
// floor: a plan of as many terraform_data resources as the policy mode has.
// `make bench` runs it.
//
//	go run ./tools/bench [-dps 1,10,50,200] [-resources 5] [-delay 20ms]
package main

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/tfrun"
	"github.com/dp-tools/terraform-provider-iis/tools/internal/benchmeter"
)

// options are the command line's settings.
type options struct {
	dps             string
	perDP           int
	delay           time.Duration
	cli, fixture    string
	planParallelism int    // terraform plan -parallelism; 0 leaves Terraform's default
	runs            int    // runs of each plan phase (see run)
	cpuProfiles     string // folder for pprof profiles, or ""
	modes           string // modes to run, of "optimized", "policy" and "naive"
	naiveMax        int    // the naive mode runs up to this many DPs
}

func main() { os.Exit(bench()) }

// bench is main with an exit code, so that the profile is flushed by its
// deferred stop on every path.
func bench() int {
	var o options
	flag.StringVar(&o.dps, "dps", "1,10,50,200", "numbers of distribution points to run")
	flag.IntVar(&o.naiveMax, "naive-max", 50, "the naive mode runs up to this many DPs (it takes minutes beyond)")
	flag.IntVar(&o.perDP, "resources", 5, "resources per DP")
	flag.IntVar(&o.planParallelism, "plan-parallelism", 0, "terraform plan -parallelism (0: Terraform's default of 10)")
	// Plans leave the DPs as they were, so each runs that many times and
	// the run of median wall time is reported: on a shared 2-core machine
	// one run varies by a tenth, and a slow spell by a quarter.
	flag.IntVar(&o.runs, "runs", 5, "runs of each plan phase; the median wall time is reported (an apply runs once)")
	flag.DurationVar(&o.delay, "delay", 20*time.Millisecond, "delay injected into every HTTP exchange")
	flag.StringVar(&o.cli, "terraform", ".tools/bin/terraform", "Terraform (or OpenTofu) CLI")
	flag.StringVar(&o.fixture, "fixture", "../shared/fixtures/applicationHost.aspnet-full.config", "applicationHost.config every DP serves a copy of")
	// One mode alone is for profiling and trying changes; the ratios and
	// targets need both.
	flag.StringVar(&o.modes, "modes", "optimized,policy,naive", "modes to run (the ratios and targets need them all)")
	flag.StringVar(&o.cpuProfiles, "cpuprofile", "", "keep the provider processes' CPU profiles in this folder (go tool pprof)")
	flag.Parse()
	// The simulated DPs run in this process, on the cores Terraform and the
	// provider use, which real DPs do not: keep their collector cheap.
	debug.SetGCPercent(400)
	if o.cpuProfiles != "" {
		stop, err := profileSelf(o.cpuProfiles)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		defer stop()
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// planOptions are the options of every terraform plan the bench runs.
func (o options) planOptions() []tfexec.PlanOption {
	if o.planParallelism > 0 {
		return []tfexec.PlanOption{tfexec.Parallelism(o.planParallelism)}
	}
	return nil
}

// profileSelf profiles this process, where the simulated DPs run, into
// dir/simulators.pprof.
func profileSelf(dir string) (stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "simulators.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// Actions of the shell release.
var releaseActions = [][]byte{
	[]byte("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal<"),
	[]byte("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete<"),
}

// releaseCounter counts the bytes both ways of the Signal and Delete
// messages (the bodies are plain: the bench uses Basic over HTTP). In the
// optimized mode they are the shells' release when a provider process
// stops, a cost per run rather than per read.
func releaseCounter(n *atomic.Int64) func(request []byte, responseBytes int64) {
	return func(request []byte, responseBytes int64) {
		for _, a := range releaseActions {
			if bytes.Contains(request, a) {
				n.Add(int64(len(request)) + responseBytes)
				return
			}
		}
	}
}

type dp struct {
	sim     *dpsim.Sim
	meter   *benchmeter.Meter
	release *atomic.Int64 // see releaseCounter
}

// totals is what all DPs served, summed.
type totals struct{ commands, exchanges, bytes, reads, writes, release int64 }

func sum(dps []dp) totals {
	var t totals
	for _, d := range dps {
		st := d.sim.Stats()
		ops := d.sim.Host.Ops()
		t.commands += st.CommandsStarted
		t.exchanges += st.Exchanges
		t.bytes += d.meter.BytesIn.Load() + d.meter.BytesOut.Load()
		t.release += d.release.Load()
		t.reads += ops.Reads
		t.writes += ops.Writes
	}
	return t
}

func (t totals) minus(o totals) totals {
	return totals{t.commands - o.commands, t.exchanges - o.exchanges, t.bytes - o.bytes, t.reads - o.reads, t.writes - o.writes, t.release - o.release}
}

// result is one phase of one mode.
type result struct {
	phase, mode string
	wall        time.Duration
	per         totals // summed over DPs
	n           int
	rssKiB      int64
	cpu         cpuTimes
}

func (r result) perHost(v int64) float64 { return float64(v) / float64(r.n) }

func run(o options) error {
	dpList, perDP, delay, cli, fixture := o.dps, o.perDP, o.delay, o.cli, o.fixture
	ctx := context.Background()
	wd, _ := os.Getwd()
	root, err := tfrun.ModuleRoot(wd)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(cli) {
		cli = filepath.Join(root, cli)
	}
	if !filepath.IsAbs(fixture) {
		fixture = filepath.Join(root, fixture)
	}
	src, err := os.ReadFile(fixture)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "iis-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	// The provider built with its process statistics (benchstats.go), which
	// the shipped binary leaves out.
	h, err := tfrun.New(ctx, scratch, root, cli, "benchstats")
	if err != nil {
		return err
	}
	planPar := "Terraform's default -parallelism of 10"
	if o.planParallelism > 0 {
		planPar = fmt.Sprintf("-parallelism=%d", o.planParallelism)
	}
	fmt.Printf("bench: %s, a copy of %s (%d bytes) per DP, %d resources per DP, %v per HTTP exchange;\n"+
		"apply with -parallelism = resources (at most 256), plans with %s (the median of %d runs, the modes taking turns);\n"+
		"prefetch_hosts lists every DP, except in \"plan, no prefetch\"\n\n", filepath.Base(cli), filepath.Base(fixture), len(src), perDP, delay, planPar, o.runs)
	var failures []string
	for _, s := range strings.Split(dpList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-dps: %q is not a number of DPs", s)
		}
		all, err := benchN(ctx, h, scratch, src, n, o)
		if err != nil {
			return err
		}
		var floor time.Duration
		if strings.Contains(o.modes, "policy") {
			if floor, err = floorPlan(ctx, h, n, o); err != nil {
				return fmt.Errorf("%d DPs, terraform_data floor: %w", n, err)
			}
		}
		printTable(n, all)
		failures = append(failures, targets(n, len(src), all, floor)...)
	}
	if len(failures) > 0 {
		fmt.Println("targets missed:")
		for _, f := range failures {
			fmt.Println("  " + f)
		}
		return fmt.Errorf("%d targets missed", len(failures))
	}
	fmt.Println("all targets met")
	return nil
}

// fleet is one mode's N simulated DPs and its Terraform workspace.
type fleet struct {
	mode  string
	n     int
	dir   string
	dps   []dp
	hosts []string          // every DP, for prefetch_hosts
	env   map[string]string // the mode's environment
	tf    *tfexec.Terraform
}

// newFleet starts a mode's DPs and writes its configuration; close stops
// the DPs.
func newFleet(h *tfrun.Harness, scratch string, src []byte, n int, o options, mode string) (f *fleet, closeAll func(), err error) {
	dir, err := os.MkdirTemp(scratch, fmt.Sprintf("%d-%s-", n, mode))
	if err != nil {
		return nil, nil, err
	}
	f = &fleet{mode: mode, n: n, dir: dir, dps: make([]dp, n), env: map[string]string{}}
	closeAll = func() {
		for _, d := range f.dps {
			if d.sim != nil {
				d.sim.Close()
			}
		}
	}
	for i := range f.dps {
		file := filepath.Join(dir, fmt.Sprintf("dp%02d", i), "applicationHost.config")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, closeAll, err
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			return nil, closeAll, err
		}
		release := new(atomic.Int64)
		m := &benchmeter.Meter{Delay: o.delay, OnExchange: releaseCounter(release)}
		sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: "bench", Password: "bench-Passw0rd", Wrap: m.Wrap})
		if err != nil {
			return nil, closeAll, err
		}
		f.dps[i] = dp{sim: sim, meter: m, release: release}
		// Every DP is listed for reading ahead, as the module's README
		// advises for a fleet (prefetch_hosts; here through its environment
		// variable, so that one phase can leave it out). The naive mode
		// ignores it.
		f.hosts = append(f.hosts, sim.Addr.String())
	}
	var config strings.Builder
	config.WriteString(tfrun.ProviderBlock(f.dps[0].sim.Addr.Port, "bench", "bench-Passw0rd"))
	exts := make([]string, o.perDP)
	for i := range exts {
		exts[i] = fmt.Sprintf(".bench%d", i)
	}
	for i, d := range f.dps {
		if mode == "policy" {
			// The same entries, one resource per DP.
			var m []string
			for _, e := range exts {
				m = append(m, fmt.Sprintf("%q = true", e))
			}
			fmt.Fprintf(&config, "resource \"iis_request_filtering_policy\" \"dp%03d\" {\n  host            = %q\n  file_extensions = { %s }\n}\n", i, d.sim.Addr.String(), strings.Join(m, ", "))
			continue
		}
		config.WriteString(tfrun.Extensions(fmt.Sprintf("dp%02d_", i), d.sim.Addr.String(), exts...))
	}
	if mode == "naive" {
		f.env["IIS_OPTIMIZATIONS"] = "off"
	}
	if f.tf, err = h.Workspace(filepath.Base(dir), config.String(), f.env); err != nil {
		return nil, closeAll, err
	}
	return f, closeAll, nil
}

// phase is one thing the bench times: a Terraform command on a fleet.
type phase struct {
	name       string
	noPrefetch bool // run without prefetch_hosts (the optimized mode only)
	run        func(ctx context.Context, f *fleet) error
	// prepare, when set, runs before the phase and is not measured.
	prepare func(ctx context.Context, f *fleet) error
}

// phases are the apply, then the plans. The apply runs once; the plans
// leave the DPs as they were, so they repeat (-runs).
func phases(o options) []phase {
	plan := func(ctx context.Context, f *fleet) error {
		if changes, err := f.tf.Plan(ctx, o.planOptions()...); err != nil || changes {
			return fmt.Errorf("plan after apply: changes %v, %v", changes, err)
		}
		return nil
	}
	return []phase{
		// A fleet apply runs with -parallelism at the number of resources, as
		// the module's README advises: the provider serialises and batches
		// the writes to each host, so the DPs see no more than at 10, and the
		// resources of one host arrive together (Terraform's default of 10
		// spread over many hosts sends a host its resources one by one).
		{name: "apply", run: func(ctx context.Context, f *fleet) error {
			return f.tf.Apply(ctx, tfexec.Parallelism(min(f.n*o.perDP, 256)))
		}},
		{name: "plan", run: plan},
		// What prefetch_hosts is worth: the same plan without it.
		{name: "plan, no prefetch", noPrefetch: true, run: plan},
		{name: "drift plan", run: func(ctx context.Context, f *fleet) error {
			for _, d := range f.dps { // a hand edit on every DP
				b, _ := os.ReadFile(d.sim.Host.ConfigFile())
				b = bytes.Replace(b, []byte(`<add fileExtension=".bench0" allowed="true" />`), []byte(`<add fileExtension=".bench0" allowed="false" />`), 1)
				if err := os.WriteFile(d.sim.Host.ConfigFile(), b, 0o644); err != nil {
					return err
				}
			}
			if changes, err := f.tf.Plan(ctx, o.planOptions()...); err != nil || !changes {
				return fmt.Errorf("drift plan: changes %v, %v", changes, err)
			}
			return nil
		}},
		// "At most 2 writes per DP for 5 new entries at any -parallelism":
		// the same apply at Terraform's default, after a destroy (not
		// measured) that gives the DPs their files back.
		{name: "apply, -parallelism=10", run: func(ctx context.Context, f *fleet) error {
			return f.tf.Apply(ctx, tfexec.Parallelism(10))
		}, prepare: func(ctx context.Context, f *fleet) error {
			return f.tf.Destroy(ctx, tfexec.Parallelism(min(f.n*o.perDP, 256)))
		}},
	}
}

// measure runs one phase on a fleet and returns its figures.
func (f *fleet) measure(ctx context.Context, h *tfrun.Harness, o options, p phase) (result, error) {
	// The preparation runs first, with the mode's environment alone: its
	// provider processes must not report into the phase's statistics.
	if p.prepare != nil {
		if err := f.tf.SetEnv(withCLI(h, f.env)); err != nil {
			return result{}, err
		}
		if err := p.prepare(ctx, f); err != nil {
			return result{}, fmt.Errorf("%s: preparing: %w", p.name, err)
		}
	}
	stats, _ := os.MkdirTemp(f.dir, "rss-")
	e := map[string]string{"IIS_BENCH_STATS": stats}
	if !p.noPrefetch {
		e["IIS_PREFETCH_HOSTS"] = strings.Join(f.hosts, ",")
	}
	if o.cpuProfiles != "" {
		e["IIS_BENCH_CPUPROFILE"] = "1"
	}
	for k, v := range f.env {
		e[k] = v
	}
	if err := f.tf.SetEnv(withCLI(h, e)); err != nil {
		return result{}, err
	}
	before, cpuBefore := sum(f.dps), readCPU()
	start := time.Now()
	if err := p.run(ctx, f); err != nil {
		return result{}, fmt.Errorf("%s: %w", p.name, err)
	}
	wall := time.Since(start)
	if err := keepProfiles(o.cpuProfiles, stats, fmt.Sprintf("%d-%s-%s", f.n, f.mode, strings.NewReplacer(" ", "-", ",", "").Replace(p.name))); err != nil {
		return result{}, err
	}
	rss, providerCPU := benchmeter.ProviderStats(stats)
	cpu := readCPU().minus(cpuBefore)
	cpu.provider = providerCPU
	return result{phase: p.name, mode: f.mode, wall: wall, per: sum(f.dps).minus(before), n: f.n, rssKiB: rss, cpu: cpu}, nil
}

// benchN runs the phases on N DPs in each mode.
func benchN(ctx context.Context, h *tfrun.Harness, scratch string, src []byte, n int, o options) ([]result, error) {
	var fleets []*fleet
	for _, mode := range strings.Split(o.modes, ",") {
		if mode != "optimized" && mode != "naive" && mode != "policy" {
			return nil, fmt.Errorf("-modes: %q is none of optimized, policy, naive", mode)
		}
		if mode == "naive" && n > o.naiveMax {
			continue
		}
		f, closeAll, err := newFleet(h, scratch, src, n, o, mode)
		defer closeAll()
		if err != nil {
			return nil, fmt.Errorf("%d DPs, %s: %w", n, mode, err)
		}
		fleets = append(fleets, f)
	}
	return runFleets(ctx, h, o, fleets)
}

// runFleets times every phase on every mode's fleet. The modes take turns
// run by run, so that a machine that slows down for a while (a shared VM
// does) slows both modes' runs alike instead of one mode's all; each
// phase reports the run of median wall time.
func runFleets(ctx context.Context, h *tfrun.Harness, o options, fleets []*fleet) ([]result, error) {
	var rs []result
	for _, p := range phases(o) {
		runs := o.runs
		if strings.HasPrefix(p.name, "apply") {
			runs = 1
		}
		tries := map[string][]result{}
		for range max(runs, 1) {
			for _, f := range fleets {
				if p.noPrefetch && f.mode == "naive" {
					continue
				}
				r, err := f.measure(ctx, h, o, p)
				if err != nil {
					return nil, fmt.Errorf("%d DPs, %s: %w", f.n, f.mode, err)
				}
				tries[f.mode] = append(tries[f.mode], r)
			}
		}
		for _, f := range fleets {
			if t := tries[f.mode]; len(t) > 0 {
				slices.SortFunc(t, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
				rs = append(rs, t[len(t)/2])
			}
		}
	}
	return rs, nil
}

func withCLI(h *tfrun.Harness, env map[string]string) map[string]string {
	out := map[string]string{"TF_CLI_CONFIG_FILE": h.CLIConfig}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// keepProfiles copies a phase's provider CPU profiles to dir/name (-cpuprofile; "" keeps none).
func keepProfiles(dir, stats, name string) error {
	if dir == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(stats, "*.pprof"))
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printTable(n int, rs []result) {
	fmt.Printf("%d DPs\n", n)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "phase\tmode\twall\tcommands/host\texchanges/host\treads/host\twrites/host\tKiB moved/host\tprovider peak RSS MiB\tCPU s: provider\tterraform\tsimulators\t")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%.2fs\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t\n", r.phase, r.mode, r.wall.Seconds(),
			r.perHost(r.per.commands), r.perHost(r.per.exchanges), r.perHost(r.per.reads), r.perHost(r.per.writes), r.perHost(r.per.bytes)/1024, float64(r.rssKiB)/1024,
			r.cpu.provider.Seconds(), (r.cpu.children - r.cpu.provider).Seconds(), r.cpu.self.Seconds())
	}
	for _, ph := range []string{"apply", "plan", "drift plan"} {
		o, nv, ok := pair(rs, ph)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%s\tnaive/optimized\t%.1fx\t%.1fx\t%.1fx\t\t\t%.1fx\t\t\n", ph, ratio(nv.wall.Seconds(), o.wall.Seconds()),
			ratio(float64(nv.per.commands), float64(o.per.commands)), ratio(float64(nv.per.exchanges), float64(o.per.exchanges)), ratio(float64(nv.per.bytes), float64(o.per.bytes)))
	}
	_ = w.Flush()
	fmt.Println()
}

func find(rs []result, phase, mode string) (result, bool) {
	for _, r := range rs {
		if r.phase == phase && r.mode == mode {
			return r, true
		}
	}
	return result{n: 1}, false
}

// pair is a phase in both modes, if both ran.
func pair(rs []result, phase string) (opt, naive result, ok bool) {
	opt, okOpt := find(rs, phase, "optimized")
	naive, okNaive := find(rs, phase, "naive")
	return opt, naive, okOpt && okNaive
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// floorPlan is Terraform's own time for a plan of n resources: n
// terraform_data resources (as many as the policy mode has), applied, then
// planned -runs times; the median wall time.
func floorPlan(ctx context.Context, h *tfrun.Harness, n int, o options) (time.Duration, error) {
	var config strings.Builder
	for i := range n {
		fmt.Fprintf(&config, "resource \"terraform_data\" \"r%03d\" {\n  input = %d\n}\n", i, i)
	}
	tf, err := h.Workspace(fmt.Sprintf("%d-floor", n), config.String(), nil)
	if err != nil {
		return 0, err
	}
	if err := tf.Apply(ctx, tfexec.Parallelism(min(n, 256))); err != nil {
		return 0, err
	}
	var walls []time.Duration
	for range max(o.runs, 1) {
		start := time.Now()
		if changes, err := tf.Plan(ctx, o.planOptions()...); err != nil || changes {
			return 0, fmt.Errorf("plan: changes %v, %v", changes, err)
		}
		walls = append(walls, time.Since(start))
	}
	slices.Sort(walls)
	return walls[len(walls)/2], nil
}

// targets checks issue 4's and issue 14's goals for one N and returns the
// misses; floor is Terraform's own plan time for as many terraform_data
// resources as the policy mode has (0: not measured).
func targets(n, fileSize int, rs []result, floor time.Duration) []string {
	var miss []string
	// Issue 14: writes at any -parallelism, memory, apply speed, plan floor.
	for _, mode := range []string{"optimized", "policy"} {
		for _, ph := range []string{"apply", "apply, -parallelism=10"} {
			r, ok := find(rs, ph, mode)
			if !ok {
				continue
			}
			wr := r.perHost(r.per.writes)
			fmt.Printf("%d DPs, %s, %s of 5 new entries: %.1f writes per DP (target at most 2)\n", n, mode, ph, wr)
			if wr > 2 {
				miss = append(miss, fmt.Sprintf("%d DPs, %s: %s of 5 new entries took %.1f writes per DP, target at most 2", n, mode, ph, wr))
			}
		}
		var peak result
		for _, r := range rs {
			if r.mode == mode && r.rssKiB > peak.rssKiB {
				peak = r
			}
		}
		if peak.rssKiB > 0 {
			limit := 64 + 0.25*float64(n)
			got := float64(peak.rssKiB) / 1024
			fmt.Printf("%d DPs, %s: provider peak memory %.1f MiB in %q (target at most %.1f MiB = 64 + 0.25 x %d)\n", n, mode, got, peak.phase, limit, n)
			if got > limit {
				miss = append(miss, fmt.Sprintf("%d DPs, %s: provider peak memory %.1f MiB, target at most %.1f MiB", n, mode, got, limit))
			}
		}
	}
	if o, nv, both := pair(rs, "apply"); both && n >= 50 {
		r := ratio(nv.wall.Seconds(), o.wall.Seconds())
		fmt.Printf("%d DPs: apply time naive/optimized = %.1fx (target at least 4x)\n", n, r)
		if r < 4 {
			miss = append(miss, fmt.Sprintf("%d DPs: apply is %.1fx faster than naive, target at least 4x", n, r))
		}
		if p, ok := find(rs, "apply", "policy"); ok {
			fmt.Printf("%d DPs: apply time naive/policy = %.1fx\n", n, ratio(nv.wall.Seconds(), p.wall.Seconds()))
		}
	}
	if p, ok := find(rs, "plan", "policy"); ok && floor > 0 {
		r := ratio(p.wall.Seconds(), floor.Seconds())
		fmt.Printf("%d DPs: policy plan %.2fs against %d terraform_data resources %.2fs = %.1fx (target at most 2x)\n", n, p.wall.Seconds(), n, floor.Seconds(), r)
		if n >= 200 && r > 2 {
			miss = append(miss, fmt.Sprintf("%d DPs: the policy plan takes %.1fx Terraform's own time for %d terraform_data resources, target at most 2x", n, r, n))
		}
	}
	plan, ok := find(rs, "plan", "optimized")
	if !ok {
		return miss // the targets below are the optimized mode's
	}
	if c := plan.perHost(plan.per.commands); c > 1 {
		miss = append(miss, fmt.Sprintf("%d DPs: refresh took %.1f commands per host, target 1", n, c))
	}
	if plan.per.reads > 0 {
		// The shells' release when the provider stops (Signal and
		// Delete, about 4 KiB a host) is a cost of the run, not of the
		// read: it is shown, not counted against the read's target.
		perRead := float64(plan.per.bytes-plan.per.release) / float64(plan.per.reads) / float64(fileSize)
		fmt.Printf("%d DPs: bytes moved per read = %.2f x file size (target at most 0.35; the shells' release at stop, %.1f KiB/host, aside)\n",
			n, perRead, plan.perHost(plan.per.release)/1024)
		if perRead > 0.35 {
			miss = append(miss, fmt.Sprintf("%d DPs: a read moved %.2f x the file size, target at most 0.35", n, perRead))
		}
	}
	if _, naive, both := pair(rs, "plan"); both && n >= 50 {
		r := ratio(naive.wall.Seconds(), plan.wall.Seconds())
		fmt.Printf("%d DPs: plan time naive/optimized = %.1fx (target at least 4x)\n", n, r)
		if r < 4 {
			miss = append(miss, fmt.Sprintf("%d DPs: plan is %.1fx faster than naive, target at least 4x", n, r))
		}
	}
	fmt.Println()
	return miss
}
