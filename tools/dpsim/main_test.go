package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/testfixtures"
	"github.com/dp-tools/terraform-provider-iis/internal/winrmclient"
	"github.com/dp-tools/terraform-provider-iis/provider"
)

// The command's interface, which the demo and other tools rely on: the
// endpoint URL is the first line on stdout, and the provider's client reads
// the served file through it, over HTTP and over HTTPS.
func TestCommandServesTheFile(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "dpsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tls := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(tls), func(t *testing.T) {
			dir := t.TempDir()
			file := testfixtures.Copy(t, testfixtures.Base, dir)
			ca := filepath.Join(dir, "ca.pem")
			args := []string{"-listen", "127.0.0.1:0", "-config-file", file, "-username", "U", "-password", "P-ass w0rd"}
			if tls {
				args = append(args, "-tls", "-ca-cert-out", ca)
			}
			cmd := exec.Command(bin, args...)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			scheme := "http"
			if tls {
				scheme = "https"
			}
			m := regexp.MustCompile(`^` + scheme + `://127\.0\.0\.1:(\d+)/wsman\n$`).FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("first line %q is not the endpoint URL", line)
			}
			port, _ := strconv.Atoi(m[1])
			cfg := winrmclient.Config{Host: "127.0.0.1", Port: port, Auth: "basic", Username: "U", Password: "P-ass w0rd", Timeout: 20 * time.Second}
			if tls {
				pem, err := os.ReadFile(ca)
				if err != nil {
					t.Fatal(err)
				}
				cfg.HTTPS, cfg.CACert = true, pem
			} else {
				cfg.AllowUnencrypted = true
			}
			c, err := winrmclient.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			files := &remotefile.Client{Runner: provider.Runner(c), Host: "dpsim"}
			f, err := files.Read(context.Background(), `%windir%\System32\inetsrv\config\applicationHost.config`)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(file)
			if string(f.Content) != string(want) || !strings.EqualFold(f.Path, `C:\Windows\System32\inetsrv\config\applicationHost.config`) {
				t.Fatalf("read %d bytes from %s, want the served file", len(f.Content), f.Path)
			}
		})
	}
}
