package winrmclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// assertNoSecret fails if text holds the password, in clear or inside a
// Basic Authorization value.
func assertNoSecret(t *testing.T, text string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	for _, s := range []string{testPass, basic, "Authorization"} {
		if strings.Contains(text, s) {
			t.Errorf("secret material %q leaked into: %s", s, text)
		}
	}
}

// TestSecretsNeverLeak provokes every error path and every formatting of the
// configuration and checks none of it shows the password.
func TestSecretsNeverLeak(t *testing.T) {
	var texts []string
	run := func(cfg Config) {
		c, err := New(cfg)
		if err != nil {
			texts = append(texts, err.Error())
			return
		}
		c.cleanupTimeout = 200 * time.Millisecond
		texts = append(texts, c.String(), fmt.Sprintf("%v %+v %#v", c, c, c))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if _, err := c.RunPowerShell(ctx, "x", []byte("in")); err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}

	// Every injected failure, over Basic and NTLM.
	for _, auth := range []string{AuthBasic, AuthNTLM} {
		for _, tc := range errorPathCases() {
			f := newFakeHost(t)
			f.hook = tc.hook
			_, cfg := f.start(t, false)
			cfg.Auth = auth
			run(cfg)
		}
	}
	// A host that hangs (timeout) and one that is not there.
	f := newFakeHost(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, a string, n int) bool {
		<-r.Context().Done()
		return true
	}
	_, cfg := f.start(t, false)
	cfg.Timeout = time.Second
	run(cfg)
	run(Config{Host: "127.0.0.1", Port: closedPort(t), Username: testUser, Password: testPass, Auth: AuthBasic, AllowUnencrypted: true})
	// TLS failures.
	tf := newFakeHost(t)
	_, tcfg := tf.start(t, true)
	run(tcfg)
	// Configuration errors and formatting.
	bad := Config{Host: "http://x/", Port: -1, Username: testUser, Password: testPass, Auth: "digest", CACert: []byte(testPass)}
	run(bad)
	texts = append(texts, bad.String(), fmt.Sprintf("%v %+v %#v %s", bad, bad, bad, bad))

	if len(texts) < 2*len(errorPathCases()) {
		t.Fatalf("only %d texts collected", len(texts))
	}
	for _, s := range texts {
		assertNoSecret(t, s)
	}
}
