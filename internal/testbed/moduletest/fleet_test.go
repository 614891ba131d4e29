package moduletest

import (
	"fmt"
	"net"
	"os/exec"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// The WinRM account every simulated DP of these tests accepts.
const (
	dpUser     = "svc"
	dpPassword = "module-Passw0rd"
)

// needJQ fails the test when jq, which the pipelines' reports run, is
// missing: a skipped test would hide the reports from `make test`.
func needJQ(t *testing.T, report string) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the %s needs jq: tools/install-debs.sh jq (make test runs it)", report)
	}
}

// startDPs starts one simulated DP per entry of libraries, each serving its
// own DP copy of the ASP.NET fixture and the content library in that folder
// ("": none, as a DP whose registry has no content library). It returns
// the DPs and their addresses quoted for an HCL list. A DP the test closes
// itself (to see it die) is not closed again: Close waits for the server's
// end, which comes only once.
func startDPs(t *testing.T, libraries ...string) (dps []*dpsim.Sim, hosts []string) {
	t.Helper()
	for _, lib := range libraries {
		file := testfixtures.CopyDistributionPoint(t, testfixtures.ASPNET, t.TempDir())
		sim, err := dpsim.Start(dpsim.Options{ConfigFile: file, Listen: "127.0.0.1:0", Username: dpUser, Password: dpPassword,
			Host: dpsim.HostOptions{ContentLibrary: lib}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if c, err := net.Dial("tcp", sim.Addr.String()); err == nil { // not closed by the test
				_ = c.Close()
				_ = sim.Close()
			}
		})
		dps = append(dps, sim)
		hosts = append(hosts, fmt.Sprintf("%q", sim.Addr.String()))
	}
	return dps, hosts
}
