package dpsim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The Windows primitives the scripts call, one small type each, with every
// documented failure and the file-system state it leaves. Each call counts
// as an occurrence for the injected failures (failures.go); a failure that
// strikes throws the .NET exception the real call throws.

// appcmdPath is where IIS installs appcmd.exe.
const appcmdPath = `C:\Windows\System32\inetsrv\appcmd.exe`

// fileAPI is [IO.File] on the host's inetsrv\config folder.
type fileAPI struct{ r *scriptRun }

// guard models the filtered token: with UAC remote restrictions a local
// administrator's NTLM logon runs without the Administrators group, and
// inetsrv\config grants nothing to plain users (reading applicationHost.config
// needs elevation, as appcmd's "insufficient permissions" error shows).
func (f fileAPI) guard(p string) {
	if len(f.r.strike("file", false)) > 0 {
		panic(errAccessDenied(p))
	}
}

// local maps p onto the simulated folder. A path in another folder throws
// what .NET Framework throws for ERROR_PATH_NOT_FOUND, a file the folder
// does not have what it throws for ERROR_FILE_NOT_FOUND: the scripts tell
// the two apart (Test-Missing).
func (f fileAPI) local(p string) string {
	l, err := f.r.h.local(p)
	if err != nil {
		if i := strings.LastIndexByte(p, '\\'); i < 0 || !strings.EqualFold(p[:i], ConfigDir) {
			panic(errDirNotFound(p))
		}
		panic(errFileNotFound(p))
	}
	return l
}

// Exists is File.Exists: false, not an exception, for a path the caller
// may not see (File.Exists documentation: "false if the caller does not
// have sufficient permissions").
func (f fileAPI) Exists(p string) bool {
	if strings.EqualFold(p, appcmdPath) {
		return true
	}
	if len(f.r.strike("file", false)) > 0 {
		return false
	}
	l, err := f.r.h.local(p)
	if err != nil {
		return false
	}
	st, err := os.Stat(l)
	return err == nil && st.Mode().IsRegular()
}

// GetAttributes is File.GetAttributes: FileNotFoundException for a missing
// file, UnauthorizedAccessException for one the account may not see.
func (f fileAPI) GetAttributes(p string) {
	f.guard(p)
	if _, err := os.Stat(f.local(p)); err != nil {
		panic(errFileNotFound(p))
	}
}

// ReadAllBytes is File.ReadAllBytes.
func (f fileAPI) ReadAllBytes(p string) []byte {
	f.guard(p)
	for _, n := range f.r.strike("read", false) {
		if n == "read-sharing-violation" {
			panic(errSharing(p))
		}
	}
	b, err := os.ReadFile(f.local(p))
	if errors.Is(err, fs.ErrNotExist) {
		panic(errFileNotFound(p))
	} else if err != nil {
		panic(&dotnetError{"IOException", hresultFromWin32(1117), err.Error()})
	}
	f.r.leave("read")
	return b
}

// WriteAllBytes is File.WriteAllBytes: it creates or truncates. Disk full
// strikes after part of the data reached the file, which stays behind.
func (f fileAPI) WriteAllBytes(p string, b []byte) {
	f.guard(p)
	l := f.local(p)
	for _, n := range f.r.strike("write", false) {
		if n == "write-disk-full" {
			_ = os.WriteFile(l, b[:len(b)/2], 0o644)
			panic(errDiskFull())
		}
	}
	if err := os.WriteFile(l, b, 0o644); err != nil {
		panic(&dotnetError{"IOException", hresultFromWin32(29), err.Error()})
	}
	f.r.leave("write")
}

// Delete is File.Delete: a missing file is not an error.
func (f fileAPI) Delete(p string) {
	f.guard(p)
	for _, n := range f.r.strike("delete", false) {
		if n == "delete-access-denied" {
			panic(errAccessDenied(p))
		}
	}
	if err := os.Remove(f.local(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		panic(errAccessDenied(p))
	}
	f.r.leave("delete")
}

// Move is File.Move (MoveFile): it never replaces an existing file.
func (f fileAPI) Move(src, dst string) {
	f.guard(src)
	for _, n := range f.r.strike("move", false) {
		if n == "move-access-denied" {
			panic(errAccessDenied(src))
		}
	}
	ls, ld := f.local(src), f.local(dst)
	if _, err := os.Lstat(ls); err != nil {
		panic(errFileNotFound(src))
	}
	if _, err := os.Lstat(ld); err == nil {
		panic(errExists())
	}
	if err := os.Rename(ls, ld); err != nil {
		panic(errAccessDenied(src))
	}
	f.r.leave("move")
}

// Replace is File.Replace, Win32 ReplaceFileW (learn.microsoft.com/windows/
// win32/api/winbase/nf-winbase-replacefilew): the replacement takes the
// replaced file's name and the replaced file goes to the backup name. Its
// documented failures leave these states:
//   - 1175 ERROR_UNABLE_TO_REMOVE_REPLACED: both files keep their names;
//   - 1176 ERROR_UNABLE_TO_MOVE_REPLACEMENT: with a backup name both keep
//     their names; without one the replaced file no longer exists and the
//     replacement keeps its name (the scripts always name a backup; the
//     model keeps the harsher state so that a script that stops naming one
//     is caught);
//   - 1177 ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: the replaced file is under
//     the backup name, the replacement under its own, the live path empty;
//   - sharing violation (32; the replacement is opened without sharing) and
//     access denied: nothing moved.
//
// The process killed inside the call leaves the 1177 state: the two renames
// are separate steps. A success is an atomic exchange here (renameat2), so
// that an outside writer racing the swap is seen as on NTFS.
func (f fileAPI) Replace(src, dst, bak string) {
	f.guard(dst)
	ls, ld := f.local(src), f.local(dst)
	lb := ""
	if bak != "" {
		lb = f.local(bak)
	}
	for _, n := range f.r.strike("replace", false) {
		switch n {
		case "replace-1175":
			panic(errReplace(1175))
		case "replace-1176":
			panic(errReplace1176(ld, lb))
		case "replace-1177", "kill-in-replace":
			if lb == "" { // without a backup name there is no 1177
				panic(errReplace1176(ld, lb))
			}
			if err := os.Rename(ld, lb); err != nil {
				panic(errAccessDenied(dst))
			}
			if n == "kill-in-replace" {
				panic(killed{})
			}
			panic(errReplace(1177))
		case "replace-sharing-violation":
			panic(errSharing(src))
		case "replace-access-denied":
			panic(errAccessDenied(""))
		}
	}
	if _, err := os.Lstat(ls); err != nil {
		panic(errFileNotFound(src))
	}
	if _, err := os.Lstat(ld); err != nil {
		panic(errFileNotFound(dst))
	}
	if err := exchange(ls, ld); err != nil {
		panic(errAccessDenied(dst))
	}
	if lb != "" {
		if err := os.Rename(ls, lb); err != nil {
			panic(errAccessDenied(bak))
		}
	} else {
		_ = os.Remove(ls)
	}
	f.r.leave("replace")
}

// errReplace1176 leaves the state ERROR_UNABLE_TO_MOVE_REPLACEMENT documents
// and returns its exception: without a backup name, the replaced file is
// gone.
func errReplace1176(live, backup string) *dotnetError {
	if backup == "" {
		_ = os.Remove(live)
	}
	return errReplace(1176)
}

// childItem is what the scripts use of a Get-ChildItem result.
type childItem struct{ Name, FullName string }

// dirAPI is Get-ChildItem -LiteralPath DIR -Filter PATTERN.
type dirAPI struct{ r *scriptRun }

// GetChildItem lists the files of dir whose names match filter ('*' only,
// case-insensitive), in name order as NTFS returns them.
func (d dirAPI) GetChildItem(dir, filter string) []childItem {
	if len(d.r.strike("file", false)) > 0 {
		panic(errAccessDenied(dir))
	}
	if !strings.EqualFold(dir, ConfigDir) {
		panic(&dotnetError{"ItemNotFoundException", hr(0x80131501), fmt.Sprintf("Cannot find path '%s' because it does not exist.", dir)})
	}
	base := filepath.Base(d.r.h.configFile)
	entries, _ := os.ReadDir(filepath.Dir(d.r.h.configFile))
	var out []childItem
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), base) {
			continue
		}
		win := "applicationHost.config" + strings.TrimPrefix(e.Name(), base)
		if ok, _ := path.Match(strings.ToLower(filter), strings.ToLower(win)); ok {
			out = append(out, childItem{Name: win, FullName: ConfigDir + `\` + win})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	d.r.leave("list")
	return out
}

// mutexAPI is the named Global\ mutex of the write lock. Windows releases a
// mutex whose owner dies and gives the next waiter AbandonedMutexException
// (it then owns the mutex): Mutex class and AbandonedMutexException
// documentation (learn.microsoft.com/dotnet/api/system.threading.mutex,
// "abandoned mutex"; WaitForSingleObject, WAIT_ABANDONED). A Global\ name
// needs no SeCreateGlobalPrivilege ("Kernel Object Namespaces": only file
// mappings and symbolic links do), so a filtered token can create it.
type mutexAPI struct{ r *scriptRun }

// New is New-Object Threading.Mutex: one mutex per file on the host.
func (m mutexAPI) New(name string) string { return name }

// WaitOne waits up to ms milliseconds.
func (m mutexAPI) WaitOne(ms int) bool {
	for _, n := range m.r.strike("lock", false) {
		if n == "lock-timeout" {
			return false
		}
	}
	select {
	case m.r.h.lock <- struct{}{}:
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return false
	}
	m.r.holding = true
	m.r.leave("lock")
	if m.r.h.abandoned.Swap(false) {
		panic(&dotnetError{"AbandonedMutexException", hr(0x8013152D), "The wait completed due to an abandoned mutex."})
	}
	return true
}

// ReleaseMutex releases a mutex the script owns.
func (m mutexAPI) ReleaseMutex() {
	if !m.r.holding {
		panic(&dotnetError{"ApplicationException", hr(0x80131600), "Object synchronization method was called from an unsynchronized block of code."})
	}
	m.r.holding = false
	<-m.r.h.lock
}

// cryptoAPI is System.Security.Cryptography on .NET Framework.
type cryptoAPI struct{ r *scriptRun }

// hasher computes SHA-256 hex, lower case.
type hasher struct{}

func (hasher) hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SHA256CryptoServiceProvider is FIPS-validated: it works under the policy.
func (c cryptoAPI) SHA256CryptoServiceProvider() hasher {
	c.r.strike("hash", false)
	return hasher{}
}

// SHA256Managed is what [SHA256]::Create() returns on .NET Framework; its
// constructor throws under the FIPS policy. The scripts must not use it; it
// is here so a test can show the model refuses it.
func (c cryptoAPI) SHA256Managed() hasher {
	if len(c.r.strike("hash", false)) > 0 {
		panic(errFIPS())
	}
	return hasher{}
}

// processAPI runs native programs; only appcmd.exe exists.
type processAPI struct{ r *scriptRun }

// appcmd runs appcmd.exe with args, merging stderr into the output as 2>&1
// does, and sets $LASTEXITCODE. IIS parses the live configuration to answer
// "list config"; when it cannot, appcmd prints "ERROR ( message:... )" and
// exits with a Win32 error code ("Use AppCmd.exe to Configure IIS at
// Startup", learn.microsoft.com: its errorlevels are winerror.h's; 13,
// ERROR_INVALID_DATA, here; the script accepts only 0). Under Stop semantics
// any stderr line is a terminating error, as in Windows PowerShell 5.1.
func (p processAPI) appcmd(args ...string) []string {
	var stdout, stderr []string
	exit := 0
	reject := func(desc string) []string {
		exit = 13
		return []string{"ERROR ( message:Configuration error ", `Filename: \\?\C:\Windows\system32\inetsrv\config\applicationHost.config`, "Line Number: 0", "Description: " + desc, ". )"}
	}
	live, err := os.ReadFile(p.r.h.configFile)
	if err != nil {
		stdout = reject("Cannot read configuration file")
	} else if verr := p.r.h.opts.Validate(live); verr != nil {
		stdout = reject(verr.Error())
	}
	for _, n := range p.r.strike("appcmd", false) {
		switch n {
		case "appcmd-cannot-start":
			panic(errCannotStart(appcmdPath))
		case "appcmd-rejects":
			stdout = reject("Cannot add duplicate collection entry of type 'add' with unique key attribute 'fileExtension' set to '.config'")
		case "appcmd-rejects-on-stderr":
			stderr = reject("Cannot add duplicate collection entry of type 'add' with unique key attribute 'fileExtension' set to '.config'")
		case "appcmd-stderr-warning":
			stderr = append(stderr, "WARNING: the configuration system is slow to respond")
		}
	}
	if exit == 0 && stdout == nil {
		stdout = []string{fmt.Sprintf(`<system.webServer><security><requestFiltering /></security></system.webServer> (%s)`, strings.Join(args, " "))}
	}
	if len(stderr) > 0 && p.r.eapValue != "Continue" {
		panic(errNativeStderr(stderr[0]))
	}
	p.r.lastExitCode = exit
	p.r.leave("appcmd")
	return append(stdout, stderr...)
}
