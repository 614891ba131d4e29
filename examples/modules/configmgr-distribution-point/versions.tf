terraform {
  required_version = ">= 1.7" # removed blocks
  required_providers {
    iis = {
      source = "dp-tools/iis"
    }
  }
}
