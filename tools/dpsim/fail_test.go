package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/dpsim"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/provider"
)

// -fail help prints every modelled failure, one per line; -fail NAME@N
// injects it at the Nth occurrence only; a bad name is refused.
func TestFailFlag(t *testing.T) {
	bin := buildCommand(t)
	out, err := exec.Command(bin, "-fail", "help").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(out)), dpsim.FailureNames(); strings.Join(got, " ") != strings.Join(want, " ") || len(want) < 20 {
		t.Fatalf("-fail help printed %q, want %q", got, want)
	}
	if err := exec.Command(bin, "-fail", "no-such-failure", "-config-file", "x", "-username", "u", "-password", "p").Run(); err == nil {
		t.Fatal("an unknown failure name was accepted")
	}

	file := testfixtures.Copy(t, testfixtures.ASPNET, t.TempDir())
	orig, _ := os.ReadFile(file)
	_, port := startCommand(t, bin, "-listen", "127.0.0.1:0", "-config-file", file, "-username", "U", "-password", "P", "-fail", "replace-1177@1")
	c, err := winrmclient.New(winrmclient.Config{Host: "127.0.0.1", Port: port, Auth: "ntlm", Username: "U", Password: "P", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	files := &remotefile.Client{Runner: provider.Runner(c), Host: "dpsim"}
	const p = `%windir%\System32\inetsrv\config\applicationHost.config`
	newer := bytes.Replace(orig, []byte(`fileExtension=".config" allowed="false"`), []byte(`fileExtension=".config" allowed="true"`), 1)
	if bytes.Equal(newer, orig) {
		t.Fatal("the fixture has no denied .config entry to change")
	}
	// The first replace fails with 1177; the file is put back.
	if _, err := files.Write(context.Background(), p, remotefile.Hash(orig), newer); !remotefile.IsCode(err, remotefile.CodeReplaceFailed) {
		t.Fatalf("first write: want %s, got %v", remotefile.CodeReplaceFailed, err)
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, orig) {
		t.Fatal("after the 1177 failure the old file is not in place")
	}
	// @1: the second replace is not touched.
	if _, err := files.Write(context.Background(), p, remotefile.Hash(orig), newer); err != nil {
		t.Fatalf("second write: %v", err)
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, newer) {
		t.Fatal("the second write did not land")
	}
}
