package main

import (
	"context"
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
	bin := buildCommand(t)
	dir := t.TempDir()
	file := testfixtures.Copy(t, testfixtures.ASPNET, dir)
	lib := contentlib.Build(t, contentlib.OSDResults)
	_, port := startCommand(t, bin, "-listen", "127.0.0.1:0", "-config-file", file, "-username", "U", "-password", "P", "-auth", "basic", "-allow-unencrypted", "-content-library", lib)
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
