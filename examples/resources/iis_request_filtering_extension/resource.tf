# KB2508665: let ConfigMgr clients download packages that contain .config
# files (IIS with ASP.NET denies the extension with HTTP 404.7).
resource "iis_request_filtering_extension" "config" {
  extension = ".config"
  allowed   = true
}

# Only below the package share, leaving the rest of the server as it is.
resource "iis_request_filtering_extension" "mdb_in_packages" {
  extension = ".mdb"
  allowed   = true
  location  = "Default Web Site/SMS_DP_SMSPKG$"
}
