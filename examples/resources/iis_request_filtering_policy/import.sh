# A scope's policy is imported by its location; the scope's own entries
# (extensions, verbs, allowed hidden segments) become the managed ones:
terraform import 'iis_request_filtering_policy.packages["dp01.corp.example"]' 'dp01.corp.example|Default Web Site/SMS_DP_SMSPKG$'

# The server scope of the provider's host is "/":
terraform import iis_request_filtering_policy.server /
