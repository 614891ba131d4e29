output "rules" {
  description = "The policy of each DP by DP name: its import ID (host|location)."
  value       = { for dp, policy in iis_request_filtering_policy.this : dp => policy.id }
}

output "distribution_points" {
  description = "The DPs this module manages."
  value       = sort(keys(iis_request_filtering_policy.this))
}
