// Package dpsim simulates a ConfigMgr distribution point for tests and demos:
// a WS-Management endpoint (package wsman) in front of one real
// applicationHost.config on local disk, running the provider's remote scripts
// with the same semantics they have on Windows. A script it does not know is
// an error, never a silent success.
package dpsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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
	seq        atomic.Uint64
	writeLock  sync.Mutex // the write script's named mutex
	opts       HostOptions
	reads      atomic.Int64
	writes     atomic.Int64

	contentScans atomic.Int64 // content library scans run (content.go)
}

// OpStats counts the provider's remote operations the host carried out.
type OpStats struct{ Reads, Writes int64 }

// Ops returns the operations run so far.
func (h *Host) Ops() OpStats { return OpStats{Reads: h.reads.Load(), Writes: h.writes.Load()} }

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
	return &Host{configFile: abs, opts: opts}, nil
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
	var res any
	var data []byte
	switch op {
	case remotefile.ReadScript:
		h.reads.Add(1)
		res, data = h.read(params)
	case remotefile.WriteScript:
		h.writes.Add(1)
		res = h.write(params, payload)
	case remotefile.ContentScript: // the content library scan (content.go)
		h.contentScans.Add(1)
		res, data = h.listContent(params)
	default:
		first, _, _ := strings.Cut(strings.TrimSpace(op), "\n")
		return nil, []byte(fmt.Sprintf("the DP simulator does not know this script (first line: %q); it runs only the provider's own scripts\r\n", first)), 1
	}
	switch r := res.(type) {
	case remotefile.ErrorEnvelope:
		return remotefile.EncodeResponse(r, nil), nil, 1
	case withPayload:
		return remotefile.EncodeResponse(r.env, r.payload), nil, 1
	}
	return remotefile.EncodeResponse(res, data), nil, 0
}

func fail(code, msg string) remotefile.ErrorEnvelope {
	return remotefile.ErrorEnvelope{Error: &remotefile.ScriptError{Code: code, Message: msg}}
}

// failErr classifies a file-system error like the scripts' Out-Fail does.
func failErr(winPath string, err error) remotefile.ErrorEnvelope {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(remotefile.CodeNotFound, fmt.Sprintf("Could not find file '%s'.", winPath))
	case errors.Is(err, fs.ErrPermission):
		return fail(remotefile.CodeAccessDenied, fmt.Sprintf("Access to the path '%s' is denied.", winPath))
	}
	return fail(remotefile.CodeIO, err.Error())
}

func (h *Host) read(params []byte) (any, []byte) {
	var req remotefile.ReadParams
	if err := json.Unmarshal(params, &req); err != nil {
		return fail(remotefile.CodeError, "Invalid JSON primitive: "+err.Error()), nil
	}
	win := expand(req.Path)
	p, err := h.local(win)
	if err != nil {
		return failErr(win, err), nil
	}
	if req.WaitWriters {
		// The script waits for the write lock; holding it through this
		// read is the same for a reader, and simpler.
		h.writeLock.Lock()
		defer h.writeLock.Unlock()
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return failErr(win, err), nil
	}
	res := remotefile.ReadResult{Path: win, SHA256: remotefile.Hash(b), Size: int64(len(b)), Gzip: req.Gzip}
	if req.Gzip {
		return res, gzipAsHost(b)
	}
	return res, b
}

// conflict answers like the script: the error, and the current file.
func (h *Host) conflict(msg string, current []byte, gz bool) any {
	e := fail(remotefile.CodeConflict, msg)
	e.Error.CurrentSHA256 = remotefile.Hash(current)
	if gz {
		current = gzipAsHost(current)
	}
	return withPayload{env: e, payload: current}
}

// withPayload is an error answer that carries data too.
type withPayload struct {
	env     remotefile.ErrorEnvelope
	payload []byte
}

func (h *Host) write(params, content []byte) any {
	var req remotefile.WriteParams
	if err := json.Unmarshal(params, &req); err != nil {
		return fail(remotefile.CodeError, "Invalid JSON primitive: "+err.Error())
	}
	win := expand(req.Path)
	target, err := h.local(win)
	if err != nil {
		return failErr(win, err)
	}
	h.writeLock.Lock()
	defer h.writeLock.Unlock()
	dir, name := filepath.Dir(target), filepath.Base(target)
	h.removeMatching(dir, name+".tf-", ".tmp", 0)

	if req.Gzip {
		var err error
		if content, err = remotefile.Gunzip(content); err != nil {
			return fail(remotefile.CodeUploadCorrupt, "upload does not match its SHA-256")
		}
	}
	if remotefile.Hash(content) != req.ContentSHA256 {
		return fail(remotefile.CodeUploadCorrupt, "the uploaded content does not match its SHA-256; nothing was written")
	}
	tmp := filepath.Join(dir, fmt.Sprintf("%s.tf-%016x%016x.tmp", name, time.Now().UnixNano(), h.seq.Add(1)))
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return failErr(win, err)
	}
	cleanup := func() { _ = os.Remove(tmp) }
	if b, err := os.ReadFile(tmp); err != nil || !bytes.Equal(b, content) {
		cleanup()
		return fail(remotefile.CodeUploadCorrupt, "the temporary file does not match the upload; nothing was written")
	}
	cur, err := os.ReadFile(target)
	if err != nil {
		cleanup()
		return failErr(win, err)
	}
	if remotefile.Hash(cur) != req.ExpectedSHA256 {
		cleanup()
		return h.conflict("the file changed since it was read", cur, req.Gzip)
	}
	// [IO.File]::Replace: an atomic swap, then the old file becomes the backup.
	if err := exchange(tmp, target); err != nil {
		cleanup()
		return failErr(win, err)
	}
	stamp := time.Now().UTC().Format("20060102T150405.0000000Z")
	stamp = strings.Replace(stamp, ".", "", 1)
	bak := filepath.Join(dir, fmt.Sprintf("%s.tf-backup-%s", name, stamp))
	for i := 0; ; i++ { // two writes in one tick must not share a backup name
		if _, err := os.Lstat(bak); errors.Is(err, fs.ErrNotExist) {
			break
		}
		bak = filepath.Join(dir, fmt.Sprintf("%s.tf-backup-%s%d", name, stamp, i))
	}
	if err := os.Rename(tmp, bak); err != nil {
		return failErr(win, err)
	}
	old, err := os.ReadFile(bak)
	if err != nil {
		return failErr(win, err)
	}
	if remotefile.Hash(old) != req.ExpectedSHA256 {
		// Another writer slipped in: put their file back, as the script does.
		_ = exchange(bak, target)
		_ = os.Remove(bak)
		return h.conflict("another writer replaced the file during the write; their version was put back", old, req.Gzip)
	}
	if h.opts.AfterReplace != nil {
		h.opts.AfterReplace()
	}
	if err := h.opts.Validate(content); err != nil {
		_ = exchange(bak, target)
		_ = os.Remove(bak)
		return fail(remotefile.CodeRejected, fmt.Sprintf("IIS rejected the new file (appcmd list config %s): %v; the previous file was put back", strings.Join(req.ValidatePaths, ", "), err))
	}
	keep := req.KeepBackups
	if keep < 0 {
		keep = 0
	}
	h.removeMatching(dir, name+".tf-backup-", "", keep)
	now, err := os.ReadFile(target)
	if err != nil {
		return failErr(win, err)
	}
	return remotefile.WriteResult{SHA256: remotefile.Hash(now), Backup: ConfigDir + `\` + "applicationHost.config" + strings.TrimPrefix(filepath.Base(bak), name)}
}

// removeMatching deletes files named prefix*suffix in dir, keeping the
// newest keep of them by name (the scripts sort by name, descending).
func (h *Host) removeMatching(dir, prefix, suffix string, keep int) {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), suffix) {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for i, n := range names {
		if i >= keep {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}

// gzipAsHost compresses as the scripts do on Windows: .NET's GZipStream at
// its default, CompressionLevel.Optimal, which is zlib's level 6 (dotnet/
// corefx#5458). A better level here would flatter the bytes `make bench`
// reports.
func gzipAsHost(b []byte) []byte { return remotefile.GzipLevel(b, 6) }
