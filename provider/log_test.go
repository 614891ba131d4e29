package provider_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestAccLog_endpointActuallyUsed: with TF_LOG=DEBUG, a resource whose
// host = "name:port" overrides the provider's port is logged with the
// endpoint it reached, and the provider's own port only as the default.
func TestAccLog_endpointActuallyUsed(t *testing.T) {
	if acctest.Real() {
		t.Skip("needs a DP on a port other than the provider's")
	}
	logFile := logTo(t, "DEBUG")
	tg := acctest.NewSimTarget(t, testfixtures.Base, nil)
	port := tg.Sim.Addr.Port
	// The provider's host is never reached: the resource names its own,
	// with the simulator's port; the provider's port stays the default.
	config := fmt.Sprintf(`
provider "iis" {
  host              = "dp-default.invalid"
  auth              = "basic"
  allow_unencrypted = true
  username          = "tf-acc"
  password          = "acc-Passw0rd!"
  timeout           = "30s"
}
resource "iis_request_filtering_extension" "test" {
  host      = %q
  extension = ".tfacc"
  allowed   = true
}
`, tg.HostPort())
	orig := tg.Read(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             acctest.Restored(t, tg, orig),
		Steps:                    []resource.TestStep{{Config: config}},
	})
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	connecting := regexp.MustCompile(`iis provider connecting to a distribution point`)
	endpoint := regexp.MustCompile(fmt.Sprintf(`endpoint=127\.0\.0\.1:%d\b.*\bport=%d\b|\bport=%d\b.*endpoint=127\.0\.0\.1:%d\b`, port, port, port, port))
	configured := regexp.MustCompile(`iis provider configured`)
	var sawConnect, sawConfigured bool
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case connecting.MatchString(line):
			sawConnect = true
			if !endpoint.MatchString(line) {
				t.Errorf("the connection is not logged with the endpoint used, 127.0.0.1:%d:\n%s", port, line)
			}
		case configured.MatchString(line):
			sawConfigured = true
			if regexp.MustCompile(`[^_]port=5985\b`).MatchString(line) || !regexp.MustCompile(`default_port=5985\b`).MatchString(line) {
				t.Errorf("the provider's port is logged as if it were used, not as the default:\n%s", line)
			}
		}
	}
	if !sawConnect || !sawConfigured {
		t.Fatalf("the DEBUG log (%d bytes) lacks the provider's lines (connecting %v, configured %v)", len(log), sawConnect, sawConfigured)
	}
}

// logTo sends the Terraform CLI's log and the provider's (which runs in the
// test's process) at level into one new file, for the rest of the test, and
// returns its path.
func logTo(t *testing.T, level string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), strings.ToLower(level)+".log")
	t.Setenv("TF_LOG", level)
	t.Setenv("TF_ACC_LOG", level)
	t.Setenv("TF_ACC_LOG_PATH", file)
	return file
}
