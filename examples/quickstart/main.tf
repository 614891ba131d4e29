# Allow .config downloads from one distribution point (KB2508665).
#
#   export IIS_USERNAME='CORP\svc-terraform' IIS_PASSWORD='...'
#   terraform apply -var dp_host=dp01.corp.example
#
# `make demo` runs this against the built-in DP simulator.
terraform {
  required_providers {
    iis = {
      source = "dp-tools/iis"
    }
  }
}

variable "dp_host" {
  type        = string
  description = "The distribution point's host name."
}

variable "winrm_port" {
  type    = number
  default = 5985
}

variable "auth" {
  type        = string
  default     = "ntlm"
  description = "ntlm (the default a domain-joined DP accepts) or basic."
}

variable "allow_unencrypted" {
  type        = bool
  default     = false
  description = "Only for a lab DP (or `dpsim -auth basic -allow-unencrypted`) that accepts Basic over HTTP."
}

provider "iis" {
  host              = var.dp_host
  port              = var.winrm_port
  auth              = var.auth
  allow_unencrypted = var.allow_unencrypted
}

resource "iis_request_filtering_extension" "config" {
  extension = ".config"
  allowed   = true
}

output "rule" {
  value = iis_request_filtering_extension.config.id
}
