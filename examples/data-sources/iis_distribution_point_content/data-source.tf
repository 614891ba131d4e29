# Which files on this DP would IIS refuse to a client today?
data "iis_distribution_point_content" "dp" {
  # content_ids = ["PS100012", "PS100034"]  # only these packages (unset: the whole library)
}

output "refused" {
  value = [
    for r in data.iis_distribution_point_content.dp.refused :
    "${r.package_id} (${r.content_id}): ${r.path}: HTTP ${r.status_code} by ${r.rule}"
  ]
}

# Allow exactly what the content needs, at the package share only (not
# server-wide): one entry per extension and hidden segment the content holds.
resource "iis_request_filtering_extension" "content" {
  for_each  = data.iis_distribution_point_content.dp.blocked_extensions
  extension = each.value
  allowed   = true
  location  = "Default Web Site/SMS_DP_SMSPKG$"
}

resource "iis_request_filtering_hidden_segment" "content" {
  for_each = data.iis_distribution_point_content.dp.blocked_segments
  segment  = each.value
  location = "Default Web Site/SMS_DP_SMSPKG$"
}

# In a scheduled job: fail the plan while any package would fail to download,
# naming the DP, the packages and the files.
data "iis_distribution_point_content" "gate" {
  fail_on_blocked = true
  depends_on      = [iis_request_filtering_extension.content, iis_request_filtering_hidden_segment.content]
}
