# Package paths such as "Program+Files" or "Notepad++" fail with HTTP 404.11
# (double escaping) unless allowDoubleEscaping is set. Set it for the package
# share only, and allow long content paths there.
resource "iis_request_filtering_settings" "packages" {
  location              = "Default Web Site/SMS_DP_SMSPKG$"
  allow_double_escaping = true

  request_limits = {
    max_url = 8192
  }
}

# Only the arguments you set are managed: here the server's allowUnlisted,
# and nothing else in <requestFiltering>.
resource "iis_request_filtering_settings" "server" {
  file_extensions_allow_unlisted = true
}
