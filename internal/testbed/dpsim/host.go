// Package dpsim simulates a ConfigMgr distribution point for tests and demos:
// a WS-Management endpoint (package wsman) in front of one real
// applicationHost.config on local disk, running the provider's remote scripts
// through a model of each Windows primitive they call (winapi.go) that fails
// as Windows documents (failures.go). A script it does not know is an error,
// never a silent success.
package dpsim

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/pscmd"
	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// ConfigDir is where Windows keeps applicationHost.config.
const ConfigDir = `C:\Windows\System32\inetsrv\config`

// Host is the simulated Windows host: its environment and the one folder of
// its file system that exists, inetsrv\config, mapped onto a local folder.
type Host struct {
	configFile string // local path of the served applicationHost.config
	// lock is the scripts' named mutex (one file, one name): a token in a
	// channel, so that WaitOne can time out; abandoned is set when its
	// owner died holding it.
	lock      chan struct{}
	abandoned atomic.Bool
	opts      HostOptions
	failures  *Failures
	reads     atomic.Int64
	writes    atomic.Int64
	kills     atomic.Int64

	contentScans atomic.Int64 // content library scans run (content.go)
}

// OpStats counts the provider's remote operations the host carried out, and
// the script processes killed by an injected failure.
type OpStats struct{ Reads, Writes, Kills int64 }

// Ops returns the operations run so far.
func (h *Host) Ops() OpStats {
	return OpStats{Reads: h.reads.Load(), Writes: h.writes.Load(), Kills: h.kills.Load()}
}

// HostOptions vary the simulated host's behaviour.
type HostOptions struct {
	// Validate stands in for appcmd.exe after a write: an error makes the
	// write script put the old file back and answer "rejected". Default:
	// apphost.Validate, IIS's own rules for request filtering.
	Validate func(content []byte) error
	// AfterReplace runs right after the atomic swap, before the answer is
	// written: fault tests drop connections or stall here.
	AfterReplace func()

	// ContentLibrary, when set, makes the host a DP with this local folder
	// (laid out as SCCMContentLib: PkgLib, DataLib) as its content library;
	// unset, the host has no HKLM\SOFTWARE\Microsoft\SMS\DP key.
	// ContentLibraryPath is the registry's ContentLibraryPath value for it
	// (default DefaultContentLibrary). See content.go.
	ContentLibrary     string
	ContentLibraryPath string

	// Failures, when set, injects modelled Windows failures into the
	// scripts (see FailureNames); tests may change it while the host runs.
	Failures *Failures
}

// NewHost serves configFile as C:\Windows\System32\inetsrv\config\applicationHost.config;
// the files the scripts create beside it (temporary files, backups) go into
// configFile's folder.
func NewHost(configFile string) (*Host, error) {
	return NewHostWith(configFile, HostOptions{})
}

// NewHostWith is NewHost with options.
func NewHostWith(configFile string, opts HostOptions) (*Host, error) {
	if opts.Validate == nil {
		opts.Validate = apphost.Validate
	}
	abs, err := filepath.Abs(configFile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return &Host{configFile: abs, opts: opts, failures: opts.Failures, lock: make(chan struct{}, 1)}, nil
}

// ConfigFile is the local path of the served file.
func (h *Host) ConfigFile() string { return h.configFile }

// expand replaces %windir% and %SystemRoot% as Windows does (case-insensitive).
func expand(p string) string {
	for _, v := range []string{"%windir%", "%systemroot%"} {
		for {
			i := strings.Index(strings.ToLower(p), v)
			if i < 0 {
				break
			}
			p = p[:i] + `C:\Windows` + p[i+len(v):]
		}
	}
	return p
}

// local maps a Windows path in inetsrv\config onto the local folder.
func (h *Host) local(winPath string) (string, error) {
	dir, name := winPath, ""
	if i := strings.LastIndexByte(winPath, '\\'); i >= 0 {
		dir, name = winPath[:i], winPath[i+1:]
	}
	if !strings.EqualFold(dir, ConfigDir) || name == "" || strings.ContainsAny(name, `/:*?"<>|`) {
		return "", &fs.PathError{Op: "open", Path: winPath, Err: fs.ErrNotExist}
	}
	if strings.EqualFold(name, "applicationHost.config") {
		return h.configFile, nil
	}
	base := filepath.Base(h.configFile)
	if len(name) > len("applicationHost.config") && strings.EqualFold(name[:len("applicationHost.config")], "applicationHost.config") {
		name = base + name[len("applicationHost.config"):] // sidecar files follow the served file's name
	}
	return filepath.Join(filepath.Dir(h.configFile), name), nil
}

// Run executes a command line the way powershell.exe would run the
// provider's scripts, returning stdout, stderr and the exit code.
func (h *Host) Run(commandLine string, stdin []byte) (stdout, stderr []byte, exitCode int) {
	script, err := pscmd.Decode(commandLine)
	if err != nil {
		name, _, _ := strings.Cut(commandLine, " ")
		return nil, []byte(fmt.Sprintf("'%s' is not recognized by the DP simulator: it runs only the provider's PowerShell scripts\r\n", name)), 1
	}
	if script != remotefile.Loader {
		first, _, _ := strings.Cut(strings.TrimSpace(script), "\n")
		return nil, []byte(fmt.Sprintf("the DP simulator does not know this command line (first line: %q); it runs only the provider's loader\r\n", first)), 1
	}
	op, params, payload, err := remotefile.DecodeRequest(stdin)
	if err != nil {
		return nil, []byte("loader: " + err.Error() + "\r\n"), 1
	}
	switch op {
	case remotefile.ReadScript:
		h.reads.Add(1)
		return h.runScript(false, params, payload)
	case remotefile.WriteScript:
		h.writes.Add(1)
		return h.runScript(true, params, payload)
	case remotefile.ContentScript: // the content library scan (content.go)
		h.contentScans.Add(1)
		return h.runContent(params)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(op), "\n")
	return nil, []byte(fmt.Sprintf("the DP simulator does not know this script (first line: %q); it runs only the provider's own scripts\r\n", first)), 1
}

// stamp is [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffffff').
func (h *Host) stamp() string {
	t := time.Now().UTC()
	return t.Format("20060102T150405") + fmt.Sprintf("%07d", t.Nanosecond()/100)
}

// afterReplace runs the AfterReplace hook once a write swapped the file.
func (h *Host) afterReplace() {
	if h.opts.AfterReplace != nil {
		h.opts.AfterReplace()
	}
}

// gzipAsHost compresses as the scripts do on Windows: .NET's GZipStream at
// its default, CompressionLevel.Optimal, which is zlib's level 6 (dotnet/
// corefx#5458). A better level here would flatter the bytes `make bench`
// reports.
func gzipAsHost(b []byte) []byte { return remotefile.GzipLevel(b, 6) }
