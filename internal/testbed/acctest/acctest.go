// Package acctest runs the provider's acceptance tests against a distribution
// point: the built-in simulator by default, or a real Windows server when
// IIS_ACC_TARGET=windows (see README.md, "Testing against a real DP").
//
// Tests express expectations relative to the file as it was when the test
// started (which lines an apply must change, that destroy restores every
// byte), so the same test holds on a simulator fixture and on a real DP.
package acctest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/provider"
)

// ProviderFactories serve the provider in process to the Terraform CLI.
func ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"iis": providerserver.NewProtocol6WithError(provider.New("acctest")()),
	}
}

// Target is a distribution point under test.
type Target interface {
	// ProviderBlock is the HCL of the provider block that reaches it.
	ProviderBlock() string
	// Host is the name the provider's errors use for it.
	Host() string
	// Path is the file's path in error messages (expanded, as on the host).
	Path() string
	// Read returns the file as it is now.
	Read(t testing.TB) []byte
	// Write replaces the file the way an admin with Notepad would.
	Write(t testing.TB, b []byte)
	// Simulated is true for the simulator, whose fixture is known.
	Simulated() bool
}

// Real reports whether the acceptance tests run against a real Windows DP.
func Real() bool { return os.Getenv("IIS_ACC_TARGET") == "windows" }

// NewTarget gives a test its distribution point: a simulator serving a copy
// of fixture, or the real DP (whose file is restored when the test ends).
func NewTarget(t *testing.T, fixture string) Target {
	t.Helper()
	if Real() {
		return newWindowsTarget(t)
	}
	return NewSimTarget(t, fixture, nil)
}

// NewDPTarget is NewTarget for a test of the package share's location
// (PkgLocation): the real DP has it, and the simulator serves the fixture
// with the DP's "Default Web Site" and its SMS_DP_SMSPKG$ virtual directory
// added (testfixtures.AsDistributionPoint), so that the location's site
// check passes as on a DP.
func NewDPTarget(t *testing.T, fixture string) Target {
	t.Helper()
	if Real() {
		return newWindowsTarget(t)
	}
	return NewSimTarget(t, fixture, testfixtures.AsDistributionPoint(t, testfixtures.Read(t, fixture)))
}

// SimTarget is a dpsim instance serving a copy of a fixture.
type SimTarget struct {
	Sim  *dpsim.Sim
	file string
}

// SimOptions vary a simulated DP.
type SimOptions struct {
	// ContentLibrary makes the simulator a DP with this folder as its
	// content library (see dpsim.HostOptions.ContentLibrary).
	ContentLibrary string
}

// NewSimTarget starts a simulator on a copy of fixture (or of the given
// bytes, when content is not nil).
func NewSimTarget(t testing.TB, fixture string, content []byte) *SimTarget {
	t.Helper()
	return NewSimTargetWith(t, fixture, content, SimOptions{})
}

// NewSimTargetWith is NewSimTarget with options.
func NewSimTargetWith(t testing.TB, fixture string, content []byte, o SimOptions) *SimTarget {
	t.Helper()
	dir := t.TempDir()
	file := testfixtures.Copy(t, fixture, dir)
	if content != nil {
		if err := os.WriteFile(file, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: "tf-acc", Password: "acc-Passw0rd!",
		Host: dpsim.HostOptions{ContentLibrary: o.ContentLibrary}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return &SimTarget{Sim: sim, file: file}
}

func (s *SimTarget) ProviderBlock() string {
	return fmt.Sprintf(`
provider "iis" {
  host              = "127.0.0.1"
  port              = %d
  auth              = "basic"
  allow_unencrypted = true
  username          = "tf-acc"
  password          = "acc-Passw0rd!"
  timeout           = "30s"
}
`, s.Sim.Addr.Port)
}

func (s *SimTarget) Host() string { return "127.0.0.1" }

// HostPort is the value of a resource's host argument that reaches this DP.
func (s *SimTarget) HostPort() string { return s.Sim.Addr.String() }
func (s *SimTarget) Path() string     { return dpsim.ConfigDir + `\applicationHost.config` }
func (s *SimTarget) Simulated() bool  { return true }

// File is the local path of the served file.
func (s *SimTarget) File() string { return s.file }

func (s *SimTarget) Read(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *SimTarget) Write(t testing.TB, b []byte) {
	t.Helper()
	if err := os.WriteFile(s.file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// windowsTarget is a real DP given by IIS_* environment variables, the same
// ones the provider reads.
type windowsTarget struct {
	host  string
	files *remotefile.Client
	path  string
}

func newWindowsTarget(t *testing.T) Target {
	t.Helper()
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	port, _ := strconv.Atoi(env("IIS_PORT", "0"))
	https, _ := strconv.ParseBool(env("IIS_HTTPS", "false"))
	insecure, _ := strconv.ParseBool(env("IIS_INSECURE", "false"))
	allowUnenc, _ := strconv.ParseBool(env("IIS_ALLOW_UNENCRYPTED", "false"))
	c, err := winrmclient.New(winrmclient.Config{
		Host: env("IIS_HOST", ""), Port: port, HTTPS: https, Insecure: insecure,
		CACert: []byte(os.Getenv("IIS_CA_CERT")), TLSServerName: os.Getenv("IIS_TLS_SERVER_NAME"),
		Username: env("IIS_USERNAME", ""), Password: env("IIS_PASSWORD", ""),
		Auth: env("IIS_AUTH", "ntlm"), AllowUnencrypted: allowUnenc, Timeout: 60 * time.Second,
	})
	if err != nil {
		t.Fatalf("IIS_ACC_TARGET=windows: %v", err)
	}
	w := &windowsTarget{host: env("IIS_HOST", ""), path: env("IIS_CONFIG_PATH", provider.DefaultConfigPath),
		files: &remotefile.Client{Runner: provider.Runner(c), Host: env("IIS_HOST", ""), KeepBackups: 5}}
	orig := w.Read(t)
	t.Cleanup(func() {
		if now := w.Read(t); string(now) != string(orig) {
			t.Logf("restoring %s on %s to its bytes from before the test", w.path, w.host)
			w.Write(t, orig)
		}
	})
	return w
}

func (w *windowsTarget) ProviderBlock() string { return "\nprovider \"iis\" {}\n" } // IIS_* from the environment
func (w *windowsTarget) Host() string          { return w.host }
func (w *windowsTarget) Path() string          { return w.path }
func (w *windowsTarget) Simulated() bool       { return false }

func (w *windowsTarget) Read(t testing.TB) []byte {
	t.Helper()
	f, err := w.files.Read(context.Background(), w.path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Content
}

func (w *windowsTarget) Write(t testing.TB, b []byte) {
	t.Helper()
	f, err := w.files.Read(context.Background(), w.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.files.Write(context.Background(), w.path, f.SHA256, b); err != nil {
		t.Fatal(err)
	}
}

// Phrase matches text as Terraform prints it in a diagnostic, which wraps
// long lines: every run of spaces in text matches any white space.
func Phrase(text string) *regexp.Regexp {
	parts := strings.Fields(text)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `\s+`))
}

// Phrases matches texts in this order, anything between them.
func Phrases(texts ...string) *regexp.Regexp {
	var res []string
	for _, t := range texts {
		res = append(res, strings.TrimPrefix(Phrase(t).String(), "(?s)"))
	}
	return regexp.MustCompile(`(?s)` + strings.Join(res, `.*`))
}

// Check is a state check, or a plan check, that asserts something outside
// the state (the file on a DP, what a DP served). Unlike a legacy Check
// function it works with for_each.
type Check func() error

// CheckState implements statecheck.StateCheck.
func (c Check) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c()
}

// CheckPlan implements plancheck.PlanCheck.
func (c Check) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c()
}
