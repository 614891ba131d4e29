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
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: Address,
		Debug:   debug,
	})
	if err != nil {
		stopStats()
		log.Fatal(err.Error())
	}
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
