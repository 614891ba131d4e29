# One rule per DP and extension. The key "dp|extension" keeps addresses
# stable when DPs or extensions are added or removed, so a change touches
# only the DPs it concerns.
locals {
  rules = {
    for pair in setproduct(var.distribution_points, var.extensions) :
    "${pair[0]}|${pair[1]}" => { host = pair[0], extension = pair[1] }
  }
}

resource "iis_request_filtering_extension" "this" {
  for_each = local.rules

  host      = each.value.host
  extension = each.value.extension
  location  = var.location
  allowed   = true
}
