package hostconfig

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
)

// TestMessagesNameTheFileOneWay: once the host has said where
// %windir%\...\applicationHost.config is, every message names it that way,
// also a write that fails in transit (whose error knows only the
// configured path) and a host's own error.
func TestMessagesNameTheFileOneWay(t *testing.T) {
	noFault := func(string) error { return nil }
	cases := []struct {
		name     string
		fail     func(op string) error // fails a command before the host runs it
		validate func([]byte) error    // the host's appcmd
	}{
		{"write lost in transit", func(op string) error {
			if op == remotefile.WriteScript {
				return errors.New("connection reset by peer")
			}
			return nil
		}, nil},
		{"the host's own error", noFault, func([]byte) error { return errors.New("Unrecognized attribute") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
			s, r := simStore(t, file, dpsim.HostOptions{Validate: c.validate}, Options{Cache: true, ReadRetries: -1})
			r.before = func(op string, _ int) error { return c.fail(op) }
			if got := s.Path(); got != winPath {
				t.Errorf("before any read, Path() = %q, want the configured %q", got, winPath)
			}
			_, err := s.Update(context.Background(), allow(".tfacc"))
			if err == nil {
				t.Fatal("the update succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "%windir%") || !strings.Contains(msg, `write C:\Windows\System32\inetsrv\config\applicationHost.config on dp01`) {
				t.Errorf("the message does not name the file as the host did, once:\n%s", msg)
			}
			if got := s.Path(); got != `C:\Windows\System32\inetsrv\config\applicationHost.config` {
				t.Errorf("after a read, Path() = %q", got)
			}
		})
	}
}
