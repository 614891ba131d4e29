// Command terraform-provider-iis is the Terraform provider for IIS on
// Configuration Manager distribution points.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/dp-tools/terraform-provider-iis/provider"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// Address is the provider's registry address.
const Address = "registry.terraform.io/dp-tools/iis"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run with support for debuggers like delve")
	flag.Parse()
	quietUnreadLogs(os.Getenv, os.Setenv)
	stopStats := startBenchStats(context.Background())
	defer stopStats()
	sessions := provider.NewSessions()
	err := providerserver.Serve(context.Background(), provider.NewWithSessions(version, sessions), providerserver.ServeOpts{
		Address: Address,
		Debug:   debug,
	})
	// Serve returns when Terraform stops the plugin (go-plugin's graceful
	// Shutdown): release the WinRM shells before the process ends, within
	// the 2 seconds Terraform waits before it kills the process.
	releaseSessions(sessions)
	if err != nil {
		stopStats()
		log.Fatal(err.Error())
	}
}

// releaseSessions closes the provider's WinRM sessions within
// provider.StopBudget. What fails to close in time is left to the
// IdleTimeOut the client asked each host for.
func releaseSessions(s *provider.Sessions) {
	ctx, cancel := context.WithTimeout(context.Background(), provider.StopBudget)
	defer cancel()
	_ = s.Close(ctx)
}

// sdkLogLevels are the variables that set the levels of the plugin SDK's
// loggers and of the provider's own (tflog).
var sdkLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"}

// quietUnreadLogs turns the provider's logs off when Terraform (and
// OpenTofu) would drop them: with neither TF_LOG nor TF_LOG_PROVIDER set,
// the CLI discards every line a provider writes. terraform-plugin-go
// formats them at TRACE regardless, and the CLI parses each line before
// dropping it; in a 250-resource plan that is about a sixth of the
// provider's CPU and more of Terraform's. Levels the user set are kept.
func quietUnreadLogs(getenv func(string) string, setenv func(string, string) error) {
	if getenv("TF_LOG") != "" || getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, v := range sdkLogLevels {
		if getenv(v) == "" {
			_ = setenv(v, "off")
		}
	}
}
