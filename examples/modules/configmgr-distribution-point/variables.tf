variable "distribution_points" {
  type        = list(string)
  description = "The DPs to manage, as host names (or name:port for a non-default WinRM port). Credentials and transport settings come from the iis provider configuration the module inherits."

  validation {
    condition     = length(var.distribution_points) == length(distinct([for dp in var.distribution_points : lower(dp)]))
    error_message = "A distribution point is listed twice (names are compared case-insensitively)."
  }
}

variable "extensions" {
  type        = list(string)
  default     = [".config"]
  description = "File extensions request filtering must let through. KB2508665 names .config; ConfigMgr's DP guidance also names .mdb. Each starts with a dot."

  validation {
    condition     = alltrue([for e in var.extensions : can(regex("^\\.[^.\\s]", e))])
    error_message = "Each extension starts with a dot, e.g. \".config\"."
  }
}

variable "location" {
  type        = string
  default     = ""
  description = "\"\" for the whole server, or an IIS location path such as \"Default Web Site/SMS_DP_SMSPKG$\" to allow the extensions only below the package share."
}
