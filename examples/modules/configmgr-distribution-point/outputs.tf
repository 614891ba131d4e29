output "rules" {
  description = "The managed rules by \"dp|extension\": their import IDs (host|location|extension)."
  value       = { for key, rule in iis_request_filtering_extension.this : key => rule.id }
}

output "distribution_points" {
  description = "The DPs this module manages."
  value       = sort(distinct([for rule in local.rules : rule.host]))
}
