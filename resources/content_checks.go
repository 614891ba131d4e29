package resources

// ExtensionAllowable reports whether iis_request_filtering_extension accepts
// ext as its extension argument (the validator's rules, without the
// diagnostic): the data source iis_distribution_point_content leaves other
// extensions out of blocked_extensions, so that a for_each over it never
// fails a plan, and names them in a warning instead.
func ExtensionAllowable(ext string) bool {
	return extensionProblem(ext) == ""
}
