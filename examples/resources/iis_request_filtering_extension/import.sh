# A server-wide rule is imported by its extension:
terraform import iis_request_filtering_extension.config .config

# A rule in a <location path="..."> block by "location|extension":
terraform import iis_request_filtering_extension.mdb_in_packages 'Default Web Site/SMS_DP_SMSPKG$|.mdb'
