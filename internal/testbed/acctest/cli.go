package acctest

import "strings"

// Warnings counts the warnings in CLI output, less the one about the
// provider's development override that every run through the CLI prints.
func Warnings(out string) int {
	return strings.Count(out, "Warning: ") - strings.Count(out, "Warning: Provider development overrides are in effect")
}
