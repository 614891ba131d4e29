# The settings of a location are imported by its path; the attributes that
# location writes itself become the managed ones:
terraform import iis_request_filtering_settings.packages 'Default Web Site/SMS_DP_SMSPKG$'

# The server scope is "/" (Terraform needs an ID that is not empty):
terraform import iis_request_filtering_settings.server /
