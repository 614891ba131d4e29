package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
// the served file through it: with Windows' default authentication (NTLM
// with message encryption over HTTP), with Basic over HTTP when asked for,
// and over HTTPS. A client the settings refuse gets an authentication error.
func TestCommandServesTheFile(t *testing.T) {
	bin := buildCommand(t)
	for _, tc := range []struct {
		name    string
		args    []string
		tls     bool
		auth    string
		plain   bool // the client's allow_unencrypted
		refused bool
	}{
		{"windows default, ntlm", nil, false, "ntlm", false, false},
		{"windows default refuses basic", nil, false, "basic", true, true},
		{"basic over http when allowed", []string{"-auth", "basic", "-allow-unencrypted"}, false, "basic", true, false},
		{"basic over http needs allow-unencrypted", []string{"-auth", "basic"}, false, "basic", true, true},
		{"ntlm and basic, ntlm client", []string{"-auth", "negotiate,basic"}, false, "ntlm", false, false},
		{"basic over https", []string{"-auth", "basic", "-tls"}, true, "basic", false, false},
		{"ntlm over https", []string{"-tls"}, true, "ntlm", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := testfixtures.Copy(t, testfixtures.Base, dir)
			ca := filepath.Join(dir, "ca.pem")
			args := append([]string{"-listen", "127.0.0.1:0", "-config-file", file, "-username", `CORP\U`, "-password", "P-ass w0rd", "-ca-cert-out", ca}, tc.args...)
			scheme, port := startCommand(t, bin, args...)
			if want := map[bool]string{false: "http", true: "https"}[tc.tls]; scheme != want {
				t.Fatalf("the endpoint is %s, want %s", scheme, want)
			}
			cfg := winrmclient.Config{Host: "127.0.0.1", Port: port, Auth: tc.auth, Username: `CORP\U`, Password: "P-ass w0rd",
				Timeout: 20 * time.Second, AllowUnencrypted: tc.plain}
			if tc.tls {
				pem, err := os.ReadFile(ca)
				if err != nil {
					t.Fatal(err)
				}
				cfg.HTTPS, cfg.CACert = true, pem
			}
			c, err := winrmclient.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			files := &remotefile.Client{Runner: provider.Runner(c), Host: "dpsim"}
			f, err := files.Read(context.Background(), `%windir%\System32\inetsrv\config\applicationHost.config`)
			if tc.refused {
				var we *winrmclient.Error
				if !errors.As(err, &we) || we.Kind != winrmclient.KindAuth {
					t.Fatalf("read with %s: %v, want an authentication error", tc.auth, err)
				}
				return
			}
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

func TestParseAuth(t *testing.T) {
	for _, tc := range []struct {
		list, keytab string
		want         string // describe(), or the error's start
	}{
		{"", "", "negotiate, AllowUnencrypted=false"},
		{"basic", "", "basic, AllowUnencrypted=false"},
		{"Negotiate, Basic", "", "negotiate+basic, AllowUnencrypted=false"},
		{"ntlm", "", "negotiate, AllowUnencrypted=false"},
		{"kerberos", "", "-auth kerberos needs -keytab"},
		{"kerberos", "/nonexistent/keytab", "-keytab /nonexistent/keytab"},
		{"credssp", "", `-auth "credssp": the schemes are`},
	} {
		a, err := parseAuth(tc.list, tc.keytab, false)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = describe(a)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("parseAuth(%q, %q) = %q, want %q", tc.list, tc.keytab, got, tc.want)
		}
	}
}
