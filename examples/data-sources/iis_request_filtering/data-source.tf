# Would this DP serve the files of a package? Ask before distributing it.
data "iis_request_filtering" "packages" {
  location = "Default Web Site/SMS_DP_SMSPKG$"
  check = [
    "/SMS_DP_SMSPKG$/PKG00012/Tools/OSDResults/OSDResults.exe.config",
    "/SMS_DP_SMSPKG$/PKG00012/bin/setup.exe",
    "/SMS_DP_SMSPKG$/PKG00012/Program+Files/app.msi",
  ]
  # A refused URL fails the plan (exit code 1), naming the DP, rule and
  # scope: a scheduled job then fails while a hand-made <location> deny
  # shadows the allow.
  fail_on_refused = true
}

# Without fail_on_refused, a check block reports them as a warning instead.
check "package_content_is_served" {
  assert {
    condition = alltrue([for r in data.iis_request_filtering.packages.results : r.allowed])
    error_message = join("\n", [
      for r in data.iis_request_filtering.packages.results :
      "${r.url}: HTTP ${r.status}, ${r.reason}" if !r.allowed
    ])
  }
}

output "denied_extensions" {
  value = [for e in data.iis_request_filtering.packages.file_extensions : e.extension if !e.allowed]
}
