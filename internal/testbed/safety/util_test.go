package safety

import (
	"bytes"
	"fmt"
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

// drain reports every error the round's goroutines sent.
func drain(t *testing.T, round int, errs chan error) {
	t.Helper()
	close(errs)
	for err := range errs {
		t.Errorf("round %d: %v", round, err)
	}
}

// roundWant lists the extensions a round must leave allowed: the outside
// writer's, and prefix<process>r<resource> for each provider-side edit.
func roundWant(outside []string, prefix string, processes, resources int) []string {
	want := append([]string(nil), outside...)
	for p := 0; p < processes; p++ {
		for i := 0; i < resources; i++ {
			want = append(want, fmt.Sprintf("%s%dr%d", prefix, p, i))
		}
	}
	return want
}
