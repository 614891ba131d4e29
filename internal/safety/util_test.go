package safety

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
)

// writeFile replaces the file the way an outside editor would: a whole new
// file, renamed into place.
func writeFile(path string, b []byte) error {
	tmp := path + ".outside"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// outsideWriter allows exts one by one as a careful outside tool would,
// pausing up to maxPause between edits; errors go to errs.
func outsideWriter(file string, exts []string, maxPause time.Duration, errs chan<- error) {
	for _, ext := range exts {
		time.Sleep(time.Duration(rand.Int64N(int64(maxPause))))
		from := []byte(`<add fileExtension="` + ext + `" allowed="false" />`)
		to := []byte(`<add fileExtension="` + ext + `" allowed="true" />`)
		if err := outsideEdit(file, func(b []byte) []byte { return bytes.Replace(b, from, to, 1) }); err != nil {
			errs <- err
		}
	}
}

// checkRound asserts that the file is one IIS accepts and that every
// extension in want is allowed; it returns how many were expected and found.
func checkRound(t *testing.T, round int, final []byte, want []string) (expected, found int) {
	t.Helper()
	if err := apphost.Validate(final); err != nil {
		t.Fatalf("round %d: the file is not one IIS accepts: %v", round, err)
	}
	d, _ := apphost.Parse(final)
	for _, ext := range want {
		expected++
		if rule, _ := d.FileExtension("", ext); rule != nil && rule.Allowed {
			found++
		} else {
			t.Errorf("round %d: the update allowing %s is lost", round, ext)
		}
	}
	return expected, found
}
