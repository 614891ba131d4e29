package safety

import "os"

// writeFile replaces the file the way an outside editor would: a whole new
// file, renamed into place.
func writeFile(path string, b []byte) error {
	tmp := path + ".outside"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
