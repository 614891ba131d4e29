# A domain-joined distribution point out of the box: WinRM over HTTP with
# NTLM message encryption. Credentials usually come from the environment
# (IIS_USERNAME, IIS_PASSWORD) so they stay out of the configuration.
provider "iis" {
  host     = "dp01.corp.example"
  username = "CORP\\svc-terraform"
  password = var.dp_password
}

# Over the HTTPS listener, trusting the issuing CA.
provider "iis" {
  alias   = "https"
  host    = "dp02.corp.example"
  https   = true
  ca_cert = file("${path.module}/corp-root-ca.pem")
  auth    = "basic"
}

variable "dp_password" {
  type      = string
  sensitive = true
}
