package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// buildCommand builds the dpsim command into a temporary folder.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dpsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// endpointLine is the command's first line on stdout: its endpoint URL.
var endpointLine = regexp.MustCompile(`^(https?)://127\.0\.0\.1:(\d+)/wsman\n$`)

// startCommand runs bin with args until the test ends and returns the
// scheme and port of the endpoint URL it prints first, failing the test
// when the first line is not one.
func startCommand(t *testing.T, bin string, args ...string) (scheme string, port int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := endpointLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q is not the endpoint URL", line)
	}
	port, _ = strconv.Atoi(m[2])
	return m[1], port
}
