package resources

import "strings"

// splitImportID reads `key`, `location|key` or `host|location|key`.
func splitImportID(id string) (host, location, key string, ok bool) {
	parts := strings.Split(id, "|")
	switch len(parts) {
	case 1:
		return "", "", parts[0], parts[0] != ""
	case 2:
		return "", parts[0], parts[1], parts[1] != ""
	case 3:
		return parts[0], parts[1], parts[2], parts[0] != "" && parts[2] != ""
	}
	return "", "", "", false
}
