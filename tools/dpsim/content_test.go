package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/contentlib"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/provider"
)

// -content-library DIR makes the simulator a DP whose registry points at
// that folder: the provider's content scan lists it over WinRM.
func TestCommandServesAContentLibrary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "dpsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	file := testfixtures.Copy(t, testfixtures.ASPNET, dir)
	lib := contentlib.Build(t, contentlib.OSDResults)
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-config-file", file, "-username", "U", "-password", "P", "-auth", "basic", "-allow-unencrypted", "-content-library", lib)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`:(\d+)/wsman\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q is not the endpoint URL", line)
	}
	port, _ := strconv.Atoi(m[1])
	c, err := winrmclient.New(winrmclient.Config{Host: "127.0.0.1", Port: port, Auth: "basic", Username: "U", Password: "P", Timeout: 20 * time.Second, AllowUnencrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	files := &remotefile.Client{Runner: provider.Runner(c), Host: "dpsim", Gzip: true}
	got, err := files.ListContent(context.Background(), remotefile.ContentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Contents) != 1 || got.Contents[0].Name != "PKG00012.1" || len(got.Contents[0].Files) != 3 || got.Path != `D:\SCCMContentLib` {
		t.Fatalf("listed %+v", got)
	}
}
