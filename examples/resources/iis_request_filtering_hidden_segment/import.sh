# A segment allowed at the server scope is imported by its name:
terraform import iis_request_filtering_hidden_segment.app_data App_Data

# One allowed in a <location path="..."> block by "location|segment":
terraform import iis_request_filtering_hidden_segment.bin_in_packages 'Default Web Site/SMS_DP_SMSPKG$|bin'
