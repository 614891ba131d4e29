# The request filtering ConfigMgr package content needs below the package
# share of every DP, one resource per DP (instead of one per entry).
variable "distribution_points" {
  type    = list(string)
  default = ["dp01.corp.example", "dp02.corp.example"]
}

resource "iis_request_filtering_policy" "packages" {
  for_each = toset(var.distribution_points)

  host     = each.key
  location = "Default Web Site/SMS_DP_SMSPKG$"

  # KB2508665: .config and .mdb in packages (HTTP 404.7).
  file_extensions = {
    ".config" = true
    ".mdb"    = true
  }
  # bin folders in packages (HTTP 404.8).
  allowed_hidden_segments = ["bin"]
  # No TRACE on the share.
  verbs = {
    TRACE = false
  }
}
