// Command terraform-provider-iis is the Terraform provider for IIS on
// Configuration Manager distribution points.
package main

import (
	"context"
	"flag"
	"log"

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
	provider.StartBenchStats(context.Background())
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
