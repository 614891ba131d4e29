# Packages with a bin folder fail to download with HTTP 404.8 (hidden
# segment). Allow bin only below the package share: the server scope keeps
# hiding it for every other site (a <remove segment="bin" /> in the location).
resource "iis_request_filtering_hidden_segment" "bin_in_packages" {
  segment  = "bin"
  location = "Default Web Site/SMS_DP_SMSPKG$"
}

# Or server-wide: the <add segment="App_Data" /> entry is taken out, and put
# back byte for byte on destroy.
resource "iis_request_filtering_hidden_segment" "app_data" {
  segment = "App_Data"
}
