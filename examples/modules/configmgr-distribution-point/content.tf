# What the DPs' content needs: with check_content, each DP's content library
# is checked against its request filtering (iis_distribution_point_content),
# and undeliverable_content names the packages that would fail to download.
# With allow_content_needs, the extensions and hidden segments the content
# holds are allowed at var.location too, exactly those.

variable "check_content" {
  type        = bool
  default     = false
  description = "Check each DP's content library against its request filtering; the findings are in the undeliverable_content output."
}

variable "content_ids" {
  type        = list(string)
  default     = []
  description = "With check_content: only these package or content IDs (empty: every package on the DP)."
}

variable "allow_content_needs" {
  type        = bool
  default     = false
  description = "Allow, at location, every extension and hidden segment the DP's content needs (implies check_content). location must be a path such as \"Default Web Site/SMS_DP_SMSPKG$\": allowed server-wide, the needs would no longer show and the rules would be removed on the next run."
}

data "iis_distribution_point_content" "this" {
  for_each = var.check_content || var.allow_content_needs ? toset(var.distribution_points) : toset([])

  host        = each.value
  content_ids = length(var.content_ids) > 0 ? var.content_ids : null
}

locals {
  listed = [for e in var.extensions : lower(e)]
  # "dp|extension" and "dp|segment", as the rules of main.tf; extensions the
  # module already allows through var.extensions are left to main.tf.
  content_extensions = var.allow_content_needs ? merge([
    for dp, c in data.iis_distribution_point_content.this : {
      for ext in c.blocked_extensions : "${dp}|${ext}" => { host = dp, extension = ext } if !contains(local.listed, lower(ext))
    }
  ]...) : {}
  content_segments = var.allow_content_needs ? merge([
    for dp, c in data.iis_distribution_point_content.this : {
      for seg in c.blocked_segments : "${dp}|${seg}" => { host = dp, segment = seg }
    }
  ]...) : {}
}

resource "iis_request_filtering_extension" "content" {
  for_each = local.content_extensions

  host      = each.value.host
  extension = each.value.extension
  location  = var.location
  allowed   = true

  lifecycle {
    precondition {
      condition     = var.location != ""
      error_message = "allow_content_needs needs location set to the package share, e.g. \"Default Web Site/SMS_DP_SMSPKG$\": allowed server-wide, the content's needs no longer show and the rules would be removed on the next run."
    }
  }
}

resource "iis_request_filtering_hidden_segment" "content" {
  for_each = local.content_segments

  host     = each.value.host
  segment  = each.value.segment
  location = var.location

  lifecycle {
    precondition {
      condition     = var.location != ""
      error_message = "allow_content_needs needs location set to the package share, e.g. \"Default Web Site/SMS_DP_SMSPKG$\"."
    }
  }
}

output "undeliverable_content" {
  description = "By DP: each file IIS would refuse to a client, as \"package (content): path: HTTP status by rule\". Empty when every package can be downloaded (or check_content is off)."
  # refused has an entry per URL: a file refused under several of the DP's
  # content virtual directories by the same rule is one line.
  value = {
    for dp, c in data.iis_distribution_point_content.this : dp => distinct([
      for r in c.refused : "${r.package_id} (${r.content_id}): ${r.path}: HTTP ${r.status_code} by ${r.rule}"
    ]) if length(c.refused) > 0
  }
}

output "content_needs" {
  description = "By DP: the extensions and hidden segments its content needs allowed (with check_content)."
  value = {
    for dp, c in data.iis_distribution_point_content.this : dp => {
      extensions = sort(c.blocked_extensions)
      segments   = sort(c.blocked_segments)
    }
  }
}
