package hostconfig

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// settle is for lost answers only: a failure the host answered stays a
// failure even when the new bytes are on disk, and an answer lost after the
// swap is found out by reading the file.
func TestSettleOnlyLostAnswers(t *testing.T) {
	for _, tc := range []struct {
		inject  string
		wantErr string // "" for success
		applied bool   // the new file is live afterwards
	}{
		// IIS rejects, the rollback's ReplaceFile fails: the new file stays,
		// and the host says so. Not a success.
		{"appcmd-rejects@1,replace-1176@2", "the change was applied", true},
		// IIS rejects and the old file is back.
		{"appcmd-rejects@1", "the change was not applied", false},
		// The process dies right after the swap: no answer; the file says
		// the change is in.
		{"kill-after-replace@1", "", true},
		// The process dies inside the swap: the settled read puts the old
		// file back and the error says the change was not applied.
		{"kill-in-replace@1", "the change was not applied (the file is unchanged)", false},
		// The backup could not be moved back: the store's repair read does it.
		{"replace-1177@1,move-access-denied@1", "a later read put the previous file back", false},
	} {
		t.Run(tc.inject, func(t *testing.T) {
			file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
			orig, _ := os.ReadFile(file)
			injs, err := dpsim.ParseInjections(tc.inject)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := dpsim.NewFailures(injs...)
			s, _ := simStore(t, file, dpsim.HostOptions{Failures: f}, Options{})
			_, err = s.Update(context.Background(), allow(".config"))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want success, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want an error saying %q, got %v", tc.wantErr, err)
			}
			now, rerr := os.ReadFile(file)
			if rerr != nil {
				t.Fatalf("the live file is missing after Update: %v", rerr)
			}
			d, _ := apphost.Parse(orig)
			want, _, _ := d.CreateFileExtension("", ".config", true)
			if tc.applied != bytes.Equal(now, want) || (!tc.applied && !bytes.Equal(now, orig)) {
				t.Fatalf("applied = %v, want %v (or the file is neither)", bytes.Equal(now, want), tc.applied)
			}
		})
	}
}
