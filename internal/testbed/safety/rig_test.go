package safety

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/provider"
)

const winPath = `%windir%\System32\inetsrv\config\applicationHost.config`

// rig is a simulated DP with fault injection, reached over real WinRM.
type rig struct {
	sim    *dpsim.Sim
	faults *dpsim.Faults
	file   string
	orig   []byte
	t      testing.TB
}

func newRig(t testing.TB, fixture string) *rig {
	t.Helper()
	return newRigWith(t, fixture, nil)
}

// newRigWith is newRig on a host with modelled Windows failures.
func newRigWith(t testing.TB, fixture string, failures *dpsim.Failures) *rig {
	t.Helper()
	file := testfixtures.Copy(t, fixture, t.TempDir())
	faults := &dpsim.Faults{}
	sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: "u", Password: "safety-Passw0rd", Faults: faults, Host: dpsim.HostOptions{Failures: failures}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	orig, _ := os.ReadFile(file)
	return &rig{sim: sim, faults: faults, file: file, orig: orig, t: t}
}

// store opens a Store the way one provider process does.
func (r *rig) store(t testing.TB, opts hostconfig.Options, timeout time.Duration) *hostconfig.Store {
	t.Helper()
	c, err := winrmclient.New(winrmclient.Config{
		Host: "127.0.0.1", Port: r.sim.Addr.Port, Auth: "basic", AllowUnencrypted: true,
		Username: "u", Password: "safety-Passw0rd", Timeout: timeout,
		Naive: !opts.Cache, // the naive mode has no shell reuse either
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.RetryDelay = 50 * time.Millisecond
	return hostconfig.New(&remotefile.Client{Runner: provider.Runner(c), Host: "dp01", KeepBackups: 3, Gzip: opts.Cache}, "dp01", winPath, opts)
}

func (r *rig) read(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// temps lists temporary files the write script left beside the file.
func (r *rig) temps(t testing.TB) []string {
	t.Helper()
	m, _ := filepath.Glob(r.file + ".tf-*.tmp")
	return m
}

func allow(ext string) hostconfig.Edit {
	return func(d *apphost.Doc) ([]byte, error) {
		out, _, err := d.CreateFileExtension("", ext, true)
		return out, err
	}
}

// expected returns the bytes the file has once ext is allowed in orig.
func expected(t testing.TB, orig []byte, exts ...string) []byte {
	t.Helper()
	b := orig
	for _, ext := range exts {
		d, err := apphost.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if b, _, err = d.CreateFileExtension("", ext, true); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func oneOf(b []byte, candidates ...[]byte) bool {
	for _, c := range candidates {
		if bytes.Equal(b, c) {
			return true
		}
	}
	return false
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
