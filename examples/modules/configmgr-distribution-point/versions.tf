terraform {
  required_version = ">= 1.5"
  required_providers {
    iis = {
      source = "dp-tools/iis"
    }
  }
}
