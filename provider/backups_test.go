package provider_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/acctest"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestAccProvider_backups: every write keeps the replaced file beside the
// live one, and only the last `backups` of them stay.
func TestAccProvider_backups(t *testing.T) {
	if acctest.Real() {
		t.Skip("counts files in the simulator's folder")
	}
	tg := acctest.NewSimTarget(t, testfixtures.ASPNET, nil)
	orig := tg.Read(t)
	config := func(allowed bool) string {
		return acctest.WithProviderArgs(t, acctest.ExtensionConfig(tg, ".config", allowed, ""), "backups = 2")
	}
	backups := func(want int, contents ...[]byte) acctest.Check {
		return func() error {
			files, _ := filepath.Glob(tg.File() + ".tf-backup-*")
			if len(files) != want {
				return fmt.Errorf("%d backups (%v), want %d", len(files), files, want)
			}
			for _, f := range files {
				b, _ := os.ReadFile(f)
				found := false
				for _, c := range contents {
					found = found || bytes.Equal(b, c)
				}
				if !found {
					return fmt.Errorf("backup %s is not a whole earlier version of the file", f)
				}
			}
			return nil
		}
	}
	var afterFirst, afterSecond []byte
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(true), ConfigStateChecks: []statecheck.StateCheck{backups(1, orig), acctest.Check(func() error { afterFirst = tg.Read(t); return nil })}},
			{Config: config(false), ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error { afterSecond = tg.Read(t); return backups(2, orig, afterFirst)() })}},
			{Config: config(true), ConfigStateChecks: []statecheck.StateCheck{acctest.Check(func() error { return backups(2, afterFirst, afterSecond)() })}},
		},
	})
}
