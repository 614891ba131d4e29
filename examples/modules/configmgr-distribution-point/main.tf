# One request filtering policy per DP for the scope var.location: Terraform's
# own cost grows with the number of resources, so the module keeps it at one
# per DP whatever the number of extensions, and each DP gets one write per
# apply. The key is the DP, so adding or removing a DP touches only it.
resource "iis_request_filtering_policy" "this" {
  for_each = toset(var.distribution_points)

  host            = each.key
  location        = var.location
  file_extensions = { for e in var.extensions : e => true }
}

# Earlier versions of this module had one resource per DP and extension.
# Upgrading forgets them without touching the DPs; the policies adopt their
# entries (see the README).
removed {
  from = iis_request_filtering_extension.this

  lifecycle {
    destroy = false
  }
}
