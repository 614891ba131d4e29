package dpsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// DefaultContentLibrary is where the simulated registry says the content
// library is (HKLM\SOFTWARE\Microsoft\SMS\DP\ContentLibraryPath) when
// HostOptions.ContentLibraryPath is empty. ConfigMgr picks the drive at
// install; D: is a common choice.
const DefaultContentLibrary = `D:\SCCMContentLib`

// contentLibrary is the simulated DP's registry value and the local folder
// it stands for.
type contentLibrary struct {
	win   string // the registry value, e.g. D:\SCCMContentLib
	local string // "" when the host is not a DP (no registry key)
}

// listContent runs remotefile.ContentScript with the semantics it has on
// Windows, strictly:
//   - no content library configured: the registry key is missing
//     (not_a_dp), as on a server that never was a DP;
//   - DataLib missing or unreadable: the script's fatal error, with the
//     message .NET gives ("Could not find a part of the path '...'.",
//     "Access to the path '...' is denied.");
//   - a folder below it that cannot be listed: a U record, and the scan
//     goes on, as the script's per-folder catch does;
//   - names compare case-insensitively (".INI", ".ini"), as NTFS and the
//     script's OrdinalIgnoreCase do.
//
// The test runs as root, which ignores permission bits, so the simulator
// reads them itself: a folder or file without the owner's read bit (or a
// folder without its execute bit) stands for one whose ACL denies the WinRM
// user, which on Windows gives UnauthorizedAccessException even to an
// administrator when a Deny entry says so.
func (h *Host) listContent(params []byte) (any, []byte) {
	var req remotefile.ContentParams
	if err := json.Unmarshal(params, &req); err != nil {
		return contentFail(remotefile.CodeError, "Invalid JSON primitive: "+err.Error()), nil
	}
	cl := h.contentLibrary()
	win := req.Library
	if win == "" {
		if cl.local == "" {
			return contentFail(remotefile.CodeNotADP, `the registry key HKLM\SOFTWARE\Microsoft\SMS\DP does not exist: this host is not a Configuration Manager distribution point`), nil
		}
		win = cl.win
	}
	win = strings.TrimRight(win, `\`)
	if cl.local == "" || !strings.EqualFold(win, strings.TrimRight(cl.win, `\`)) {
		return contentFail(remotefile.CodeNotFound, fmt.Sprintf("the content library folder %s\\DataLib (from HKLM\\SOFTWARE\\Microsoft\\SMS\\DP\\ContentLibraryPath) cannot be listed: Could not find a part of the path '%s\\DataLib'.", win, win)), nil
	}
	root, err := os.OpenRoot(cl.local)
	if err != nil {
		return contentFail(remotefile.CodeNotFound, fmt.Sprintf("the content library folder %s\\DataLib (from HKLM\\SOFTWARE\\Microsoft\\SMS\\DP\\ContentLibraryPath) cannot be listed: Could not find a part of the path '%s\\DataLib'.", win, win)), nil
	}
	defer root.Close()
	fsys := root.FS()
	s := &contentScan{fsys: fsys, win: win}
	folders, err := s.readDir("DataLib")
	if err != nil {
		code, msg := classify(err, win+`\DataLib`)
		return contentFail(code, fmt.Sprintf("the content library folder %s\\DataLib (from HKLM\\SOFTWARE\\Microsoft\\SMS\\DP\\ContentLibraryPath) cannot be listed: %s", win, msg)), nil
	}

	want := map[string]string{} // lower-case key -> what was asked (or the package)
	var ids []string
	for _, id := range req.ContentIDs {
		if id != "" {
			ids = append(ids, id)
			want[strings.ToLower(id)] = id
		}
	}
	found := map[string]bool{}
	if !req.SkipPackages {
		s.packages(want, found)
	}

	start := time.Now()
	res := remotefile.ContentResult{Library: win, Gzip: req.Gzip, Pending: []string{}}
	var written int64
	for _, d := range folders {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		id := name
		if dot := strings.LastIndexByte(name, '.'); dot > 0 {
			id = name[:dot]
		}
		if len(ids) > 0 {
			k := ""
			if _, ok := want[strings.ToLower(name)]; ok {
				k = strings.ToLower(name)
			} else if _, ok := want[strings.ToLower(id)]; ok {
				k = strings.ToLower(id)
			}
			if k == "" {
				continue
			}
			found[k] = true
			found[strings.ToLower(want[k])] = true
		}
		if (req.TimeBudgetMS > 0 && time.Since(start).Milliseconds() > req.TimeBudgetMS) || (req.MaxBytes > 0 && written > req.MaxBytes) {
			res.Pending = append(res.Pending, name)
			continue
		}
		res.Contents++
		s.line("C", name)
		s.walk(path.Join("DataLib", name), &res.Files, &written)
	}
	res.Unreadable = s.unreadable
	res.Missing = []string{}
	for _, id := range ids {
		if !found[strings.ToLower(id)] {
			res.Missing = append(res.Missing, id)
		}
	}
	out := s.out.Bytes()
	if req.Gzip {
		out = gzipAsHost(out)
	}
	return res, out
}

// runContent runs the content scan as the loader would: the injected
// "script" failure (Constrained Language Mode) answers before the script
// runs, as for every script; otherwise the scan's answer, exit code 1 with
// an error.
func (h *Host) runContent(params []byte) (stdout, stderr []byte, exitCode int) {
	if len(newRun(h, false).strike("script", false)) > 0 {
		return []byte(`{"error":{"code":"constrained_language","message":"ConstrainedLanguage"}}` + "\r\n"), nil, 1
	}
	res, data := h.listContent(params)
	if e, ok := res.(remotefile.ErrorEnvelope); ok {
		return remotefile.EncodeResponse(e, nil), nil, 1
	}
	return remotefile.EncodeResponse(res, data), nil, 0
}

// contentFail is the script's Fail: an error answer with its code.
func contentFail(code, msg string) remotefile.ErrorEnvelope {
	return remotefile.ErrorEnvelope{Error: &remotefile.ScriptError{Code: code, Message: msg}}
}

// contentLibrary returns the host's content library settings.
func (h *Host) contentLibrary() contentLibrary {
	if h.opts.ContentLibrary == "" {
		return contentLibrary{}
	}
	win := h.opts.ContentLibraryPath
	if win == "" {
		win = DefaultContentLibrary
	}
	return contentLibrary{win: win, local: h.opts.ContentLibrary}
}

// contentScan accumulates the listing as the script writes it.
type contentScan struct {
	fsys       fs.FS
	win        string // the library's Windows path
	out        bytes.Buffer
	unreadable int
}

func (s *contentScan) line(fields ...string) {
	s.out.WriteString(strings.Join(fields, "\t"))
	s.out.WriteByte('\n')
}

// winPath is the Windows path of a path relative to the library.
func (s *contentScan) winPath(rel string) string {
	return s.win + `\` + strings.ReplaceAll(rel, "/", `\`)
}

// denied reports whether the mode bits stand for an ACL that denies the
// WinRM user (see listContent).
func denied(info fs.FileInfo) bool {
	m := info.Mode().Perm()
	if info.IsDir() {
		return m&0o500 != 0o500
	}
	return m&0o400 == 0
}

var errDenied = errors.New("access denied by the folder's ACL")

// readDir lists a folder like [IO.Directory]::GetFiles/GetDirectories.
// Their order is unspecified ("The order of the returned file names is not
// guaranteed", learn.microsoft.com/dotnet/api/system.io.directory.getfiles):
// it is the file system's. NTFS returns its B-tree order ("What order does
// the DIR command arrange files if no sort order is specified?",
// devblogs.microsoft.com/oldnewthing/20140304-00/?p=1603), names compared
// after upper-casing ("Why do NTFS and Explorer disagree on filename
// sorting?", devblogs.microsoft.com/oldnewthing/20050617-10/?p=35293), so
// the simulator sorts that way rather than by byte as fs.ReadDir does
// (which puts "Zeta" before "alpha", and "_x" after "ax").
func (s *contentScan) readDir(rel string) ([]fs.DirEntry, error) {
	info, err := fs.Stat(s.fsys, rel)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fs.ErrNotExist
	}
	if denied(info) {
		return nil, errDenied
	}
	entries, err := fs.ReadDir(s.fsys, rel)
	slices.SortStableFunc(entries, func(a, b fs.DirEntry) int {
		return strings.Compare(strings.ToUpper(a.Name()), strings.ToUpper(b.Name()))
	})
	return entries, err
}

// classify gives the script's code and .NET's message for an error on a
// Windows path.
func classify(err error, win string) (code, msg string) {
	switch {
	case errors.Is(err, errDenied), errors.Is(err, fs.ErrPermission):
		return remotefile.CodeAccessDenied, fmt.Sprintf("Access to the path '%s' is denied.", win)
	case errors.Is(err, fs.ErrNotExist):
		return remotefile.CodeNotFound, fmt.Sprintf("Could not find a part of the path '%s'.", win)
	}
	return remotefile.CodeIO, err.Error()
}

// walk lists the .INI files below dir (relative to the library) as the
// script does: depth first with a stack, files of a folder before its
// subfolders, each folder's failure reported and skipped.
func (s *contentScan) walk(dir string, files *int, written *int64) {
	stack := []string{dir}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := s.readDir(d)
		if err != nil {
			code, msg := classify(err, s.winPath(d))
			s.unreadable++
			s.line("U", s.winPath(d), code, msg)
			continue
		}
		var subdirs []string
		for _, e := range entries {
			if e.IsDir() {
				subdirs = append(subdirs, path.Join(d, e.Name()))
				continue
			}
			n := e.Name()
			if len(n) > 4 && strings.EqualFold(n[len(n)-4:], ".INI") {
				rel := strings.TrimPrefix(path.Join(d, n[:len(n)-4]), dir+"/")
				rel = strings.ReplaceAll(rel, "/", `\`)
				s.line("F", rel)
				*files++
				*written += int64(len(rel) + 3)
			}
		}
		stack = append(stack, subdirs...) // pushed in order, popped in reverse, as the script's Stack
	}
}

// packages reads PkgLib as the script does: the keys of each .INI's
// [Packages] section. A requested package ID adds its content to want.
func (s *contentScan) packages(want map[string]string, found map[string]bool) {
	entries, err := s.readDir("PkgLib")
	if err != nil {
		code, msg := classify(err, s.win+`\PkgLib`)
		s.unreadable++
		s.line("U", s.win+`\PkgLib`, code, msg)
		return
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || len(n) < 5 || !strings.EqualFold(n[len(n)-4:], ".INI") {
			continue
		}
		pkg := n[:len(n)-4]
		rel := "PkgLib/" + n
		b, err := s.readFile(rel)
		if err != nil {
			code, msg := classify(err, s.winPath(rel))
			s.unreadable++
			s.line("U", s.winPath(rel), code, msg)
			continue
		}
		in := false
		for _, line := range strings.Split(b, "\n") {
			t := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(t, "["):
				in = strings.EqualFold(t, "[Packages]")
			case in && strings.IndexByte(t, '=') > 0:
				c := strings.TrimSpace(t[:strings.IndexByte(t, '=')])
				s.line("P", pkg, c)
				if _, ok := want[strings.ToLower(pkg)]; ok {
					want[strings.ToLower(c)] = pkg
					found[strings.ToLower(pkg)] = true
				}
			}
		}
	}
}

// readFile reads a text file as [IO.File]::ReadAllLines does: a byte order
// mark chooses UTF-8 or UTF-16 (either order), none means UTF-8, and bytes
// that do not decode become U+FFFD ("attempts to automatically detect the
// encoding of a file based on the presence of byte order marks",
// learn.microsoft.com/dotnet/api/system.io.file.readalllines). The UTF-32
// marks it also knows do not occur in ConfigMgr's INI files.
func (s *contentScan) readFile(rel string) (string, error) {
	info, err := fs.Stat(s.fsys, rel)
	if err != nil {
		return "", err
	}
	if denied(info) {
		return "", errDenied
	}
	b, err := fs.ReadFile(s.fsys, rel)
	if err != nil {
		return "", err
	}
	text, _, err := transform.Bytes(unicode.BOMOverride(unicode.UTF8.NewDecoder()), b)
	return string(text), err
}

// ContentScans returns how many content library scans the host ran.
func (h *Host) ContentScans() int64 { return h.contentScans.Load() }
