# All DPs of a site from one configuration. The provider block holds the
# credentials and transport; the module sets each resource's host.
#
#   export IIS_USERNAME='CORP\svc-terraform' IIS_PASSWORD='...'
#   terraform apply -parallelism=50
terraform {
  required_providers {
    iis = {
      source = "dp-tools/iis"
    }
  }
}

locals {
  distribution_points = [
    "dp01.corp.example",
    "dp02.corp.example",
    "dp03.corp.example:5986",
  ]
}

provider "iis" {
  # Each resource names its DP; the provider's host is only a default.
  host = "dp01.corp.example"
  # A refresh reads all the DPs at once instead of as Terraform reaches them.
  prefetch_hosts = local.distribution_points
}

module "dp_request_filtering" {
  source = "../.."

  distribution_points = local.distribution_points
  extensions          = [".config", ".mdb"]
}

output "rules" {
  value = module.dp_request_filtering.rules
}
