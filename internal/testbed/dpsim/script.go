package dpsim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
)

// scriptRun is one run of ReadScript or WriteScript, modelled function by
// function: each method below is the script function of the same name
// (Repair-Live is repairLive), calling the same Windows primitives (r.file,
// r.dir, r.mutex, r.crypto, r.process) in the same textual order, with
// exceptions as panics caught only where the script has a try. TestModel
// FollowsTheScripts compares the two from their syntax trees: change a
// script, and the model must follow. Its variables are the script's
// ($tmp is r.tmp).
type scriptRun struct {
	h       *Host
	inWrite bool
	file    fileAPI
	dir     dirAPI
	mutex   mutexAPI
	crypto  cryptoAPI
	process processAPI

	// PowerShell state
	eapValue     string // $ErrorActionPreference
	lastExitCode int
	holding      bool // the process owns the write lock

	// the script's variables
	read               remotefile.ReadParams
	req                remotefile.WriteParams
	payload            []byte
	path, dir_, name   string
	tmp, bak, undo, id string
	swapped, own       bool
	lockName           string
	stdout             bytes.Buffer
}

func newRun(h *Host, inWrite bool) *scriptRun {
	r := &scriptRun{h: h, inWrite: inWrite, eapValue: "Stop"}
	r.file, r.dir, r.mutex, r.crypto, r.process = fileAPI{r}, dirAPI{r}, mutexAPI{r}, cryptoAPI{r}, processAPI{r}
	return r
}

// strike counts an occurrence of prim for the injected failures.
func (r *scriptRun) strike(prim string, after bool) []string {
	return r.h.failures.strike(prim, after, r.inWrite)
}

// leave ends a primitive that completed: a kill-after failure strikes here.
func (r *scriptRun) leave(prim string) {
	if len(r.strike(prim, true)) > 0 {
		panic(killed{})
	}
}

// eap sets $ErrorActionPreference.
func (r *scriptRun) eap(v string) { r.eapValue = v }

// startSleep is Start-Sleep -Milliseconds, at a twentieth of the time: the
// model keeps the order of the steps, and tests stay fast.
func (r *scriptRun) startSleep(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond / 20) }

// outResult is Out-Result: the JSON line, then the payload.
func (r *scriptRun) outResult(o any, data []byte) {
	r.stdout.Write(remotefile.EncodeResponse(o, data))
}

// fail is Fail: the error answer, then exit 1.
func (r *scriptRun) fail(code, msg, cur string, data []byte, applied bool, win32 int) {
	r.outResult(remotefile.ErrorEnvelope{Error: &remotefile.ScriptError{Code: code, Message: msg, CurrentSHA256: cur, Applied: applied, Win32: win32, Path: r.path}}, data)
	panic(scriptExit{code: 1})
}

func (r *scriptRun) outData(b []byte) []byte {
	if r.req.Gzip || r.read.Gzip {
		return gzipAsHost(b)
	}
	return b
}

// getWin32 is Get-Win32.
func getWin32(e *dotnetError) int { return e.win32() }

// getSha256 is Get-Sha256.
func (r *scriptRun) getSha256(b []byte) string {
	h := r.crypto.SHA256CryptoServiceProvider()
	return h.hex(b)
}

// outFail is Out-Fail: classify the exception like the script.
func (r *scriptRun) outFail(e *dotnetError, applied bool) {
	w := getWin32(e)
	code := remotefile.CodeError
	switch {
	case e.Type == "FileNotFoundException" || e.Type == "DirectoryNotFoundException":
		code = remotefile.CodeNotFound
	case e.Type == "UnauthorizedAccessException" || w == 5:
		code = remotefile.CodeAccessDenied
	case e.Type == "IOException":
		code = remotefile.CodeIO
	}
	r.fail(code, e.Message, "", nil, applied, w)
}

// getWriteLock is Get-WriteLock.
func (r *scriptRun) getWriteLock() string {
	return r.mutex.New(`Global\tf-iis-` + r.getSha256([]byte(strings.ToLower(r.path))))
}

// waitWriteLock is Wait-WriteLock.
func (r *scriptRun) waitWriteLock() {
	try(func() {
		if !r.mutex.WaitOne(60000) {
			r.fail(remotefile.CodeBusy, "another Terraform write held the lock for 60 s", "", nil, false, 0)
		}
	}, func(e *dotnetError) {
		if e.Type != "AbandonedMutexException" {
			panic(e)
		}
	})
}

// testMissing is Test-Missing.
func (r *scriptRun) testMissing(p string) bool {
	missing := false
	try(func() { r.file.GetAttributes(p) }, func(e *dotnetError) { missing = e.Type == "FileNotFoundException" })
	return missing
}

// repairLive is Repair-Live.
func (r *scriptRun) repairLive() {
	if !r.testMissing(r.path) {
		return
	}
	baks := r.dir.GetChildItem(r.dir_, r.name+".tf-backup-*")
	slices.Reverse(baks) // Sort-Object Name -Descending
	tmps := r.dir.GetChildItem(r.dir_, r.name+".tf-*.tmp")
	if len(baks) == 0 && len(tmps) == 0 {
		return
	}
	if len(baks) > 0 {
		if id := writeIDOf(baks[0].Name); id != "" {
			if slices.ContainsFunc(tmps, func(c childItem) bool {
				return strings.HasPrefix(strings.ToLower(c.Name), strings.ToLower(r.name+".tf-"+id))
			}) {
				r.file.Move(baks[0].FullName, r.path)
				return
			}
		}
	}
	newest := "(none)"
	if len(baks) > 0 {
		newest = baks[0].FullName
	}
	r.fail(remotefile.CodeLiveMissing, r.path+" is missing and no interrupted Terraform write explains it; the newest backup is "+newest+": check it, then Copy-Item it to "+r.path, "", nil, false, 0)
}

// writeIDOf is the script's -match '-([0-9a-f]{32})$' on a backup name.
func writeIDOf(name string) string {
	if len(name) < 33 || name[len(name)-33] != '-' {
		return ""
	}
	id := name[len(name)-32:]
	if _, err := hex.DecodeString(id); err != nil { // -match is case-insensitive
		return ""
	}
	return id
}

// common is the top level of the common part.
func (r *scriptRun) common(path string) {
	r.eap("Stop")
	if !is64BitProcess() {
		r.fail(remotefile.CodeNot64Bit, "PowerShell is 32-bit; applicationHost.config is visible only to 64-bit processes", "", nil, false, 0)
	}
	r.path = expand(path)
	r.dir_, r.name = winSplit(r.path)
}

// is64BitProcess: WinRM's default endpoint runs 64-bit PowerShell.
func is64BitProcess() bool { return true }

func winSplit(p string) (dir, name string) {
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// readScript is ReadScript's top level.
func (r *scriptRun) readScript() {
	r.common(r.read.Path)
	r.own = false
	try(func() {
		if r.read.WaitWriters || !r.file.Exists(r.path) {
			r.lockName = r.getWriteLock()
			r.waitWriteLock()
			r.own = true
			r.repairLive()
			r.mutex.ReleaseMutex()
			r.own = false
		}
		bytes := r.file.ReadAllBytes(r.path)
		r.outResult(remotefile.ReadResult{Path: r.path, SHA256: r.getSha256(bytes), Size: int64(len(bytes)), Gzip: r.read.Gzip}, r.outData(bytes))
	}, func(e *dotnetError) {
		r.outFail(e, false)
	}, func() {
		if r.own {
			r.mutex.ReleaseMutex()
		}
	})
}

// removeTemp is Remove-Temp.
func (r *scriptRun) removeTemp() {
	if r.tmp != "" && r.file.Exists(r.tmp) {
		r.file.Delete(r.tmp)
	}
}

// restoreLive is Restore-Live.
func (r *scriptRun) restoreLive() {
	if !r.testMissing(r.path) {
		return
	}
	from := ""
	if r.bak != "" && r.file.Exists(r.bak) {
		from = r.bak
	} else if r.undo != "" && r.file.Exists(r.undo) {
		from = r.undo
	}
	if from == "" {
		r.fail(remotefile.CodeLiveMissing, r.path+" is missing after a failed replace and no file of this write is left to put back: restore it from the newest "+r.name+".tf-backup-* file", "", nil, false, 0)
	}
	var e *dotnetError
	moved := false
	try(func() { r.file.Move(from, r.path); moved = true }, func(x *dotnetError) { e = x })
	if moved {
		return
	}
	r.fail(remotefile.CodeLiveMissing, r.path+" is missing after a failed replace and moving "+from+" back failed ("+e.Message+"): rename "+from+" to "+r.path+" on the host", "", nil, false, getWin32(e))
}

// invokeSwap is Invoke-Swap.
func (r *scriptRun) invokeSwap() {
	for i := 1; ; i++ {
		var e *dotnetError
		done := false
		try(func() { r.file.Replace(r.tmp, r.path, r.bak); done = true }, func(x *dotnetError) { e = x })
		if done {
			return
		}
		w := getWin32(e)
		r.restoreLive()
		if r.getSha256(r.file.ReadAllBytes(r.path)) == r.req.ContentSHA256 {
			return
		}
		if w == 32 && i < 5 {
			r.startSleep(200 * i)
			continue
		}
		r.removeTemp()
		if w == 5 {
			r.fail(remotefile.CodeAccessDenied, e.Message, "", nil, false, w)
		}
		r.fail(remotefile.CodeReplaceFailed, fmt.Sprintf("ReplaceFile failed with Win32 error %d (%s) after %d attempt(s); the previous file is in place", w, e.Message, i), "", nil, false, w)
	}
}

// undoSwap is Undo-Swap: "" when the old file is back, else why not.
func (r *scriptRun) undoSwap() string {
	r.undo = r.dir_ + `\` + r.name + ".tf-" + r.id + ".undo.tmp"
	why := ""
	try(func() { r.file.Replace(r.bak, r.path, r.undo) }, func(e *dotnetError) {
		why = "putting the previous file back failed (" + e.Message + ")"
		r.restoreLive()
	})
	if r.getSha256(r.file.ReadAllBytes(r.path)) == r.req.ContentSHA256 {
		return why + "; the new file stays; the previous one is " + r.bak
	}
	r.file.Delete(r.undo)
	return ""
}

// testIis is Test-Iis: "" when IIS reads the section at every path.
func (r *scriptRun) testIis() string {
	if !r.file.Exists(appcmdPath) {
		return appcmdPath + " was not found: is IIS installed?"
	}
	paths := r.req.ValidatePaths
	if paths == nil {
		paths = []string{""} // @($null) iterates once
	}
	for _, p := range paths {
		r.eap("Continue")
		o := r.process.appcmd("list", "config", p, "-section:system.webServer/security/requestFiltering")
		x := r.lastExitCode
		r.eap("Stop")
		if x != 0 {
			return fmt.Sprintf("IIS rejected the new file (appcmd list config %q exited with %d): %s", p, x, strings.Join(o, " "))
		}
	}
	return ""
}

// undoReject is Undo-Reject: the old file back, and IIS asked about it too.
func (r *scriptRun) undoReject(why string) {
	if undoErr := r.undoSwap(); undoErr != "" {
		r.fail(remotefile.CodeRollbackFailed, why+"; "+undoErr, "", nil, true, 0)
	}
	if r.testIis() != "" {
		r.fail(remotefile.CodeRejectedBefore, why+"; the previous file was put back, and IIS rejects it too: the fault was in the file before this change", "", nil, false, 0)
	}
	r.fail(remotefile.CodeRejected, why+"; the previous file was put back", "", nil, false, 0)
}

// undoFail is Undo-Fail.
func (r *scriptRun) undoFail(code, why, cur string, data []byte) {
	if undoErr := r.undoSwap(); undoErr != "" {
		r.fail(remotefile.CodeRollbackFailed, why+"; "+undoErr, "", nil, true, 0)
	}
	r.fail(code, why+"; the previous file was put back", cur, data, false, 0)
}

// writeScript is WriteScript's top level.
func (r *scriptRun) writeScript() {
	r.common(r.req.Path)
	r.tmp, r.bak, r.undo, r.id, r.swapped, r.own = "", "", "", "", false, false
	try(func() {
		r.lockName = r.getWriteLock()
		r.waitWriteLock()
		r.own = true
		r.repairLive()
		for _, f := range r.dir.GetChildItem(r.dir_, r.name+".tf-*.tmp") {
			try(func() { r.file.Delete(f.FullName) }, func(*dotnetError) {})
		}
		bytes := r.payload
		if r.req.Gzip {
			b, err := remotefile.Gunzip(bytes)
			if err != nil {
				panic(&dotnetError{"InvalidDataException", hr(0x80131501), "The magic number in GZip header is not correct. Make sure you are passing in a GZip stream."})
			}
			bytes = b
		}
		if r.getSha256(bytes) != r.req.ContentSHA256 {
			r.fail(remotefile.CodeUploadCorrupt, "upload does not match its SHA-256", "", nil, false, 0)
		}
		r.id = newGUID()
		r.tmp = r.dir_ + `\` + r.name + ".tf-" + r.id + ".tmp"
		r.file.WriteAllBytes(r.tmp, bytes)
		if r.getSha256(r.file.ReadAllBytes(r.tmp)) != r.req.ContentSHA256 {
			r.removeTemp()
			r.fail(remotefile.CodeUploadCorrupt, "temporary file does not match the upload", "", nil, false, 0)
		}
		curBytes := r.file.ReadAllBytes(r.path)
		cur := r.getSha256(curBytes)
		if cur != r.req.ExpectedSHA256 {
			r.removeTemp()
			r.fail(remotefile.CodeConflict, "the file changed since it was read", cur, r.outData(curBytes), false, 0)
		}
		r.bak = r.dir_ + `\` + r.name + ".tf-backup-" + r.h.stamp() + "Z-" + r.id
		r.invokeSwap()
		r.swapped, r.tmp = true, ""
		r.h.afterReplace()
		oldBytes := r.file.ReadAllBytes(r.bak)
		old := r.getSha256(oldBytes)
		if old != r.req.ExpectedSHA256 {
			r.undoFail(remotefile.CodeConflict, "another writer replaced the file during the write", old, r.outData(oldBytes))
		}
		if why := r.testIis(); why != "" {
			r.undoReject(why)
		}
		r.swapped = false
		try(func() {
			olds := r.dir.GetChildItem(r.dir_, r.name+".tf-backup-*")
			slices.Reverse(olds)
			for i, f := range olds {
				if i >= r.req.KeepBackups {
					try(func() { r.file.Delete(f.FullName) }, func(*dotnetError) {})
				}
			}
		}, func(*dotnetError) {})
		final := r.req.ContentSHA256
		try(func() { final = r.getSha256(r.file.ReadAllBytes(r.path)) }, func(*dotnetError) {})
		r.outResult(remotefile.WriteResult{SHA256: final, Backup: r.bak}, nil)
	}, func(e *dotnetError) {
		if r.swapped {
			r.undoFail(remotefile.CodeRolledBack, "after the replace: "+e.Message, "", nil)
		}
		r.restoreLive()
		r.removeTemp()
		r.outFail(e, false)
	}, func() {
		if r.own {
			r.mutex.ReleaseMutex()
		}
	})
}

// clixmlError is what powershell.exe run with -EncodedCommand and a
// redirected stderr prints for an error no catch handled: the error record
// serialized as CLIXML (MS-PSRP 2.2.5), CR LF escaped as _x000D__x000A_.
func clixmlError(e *dotnetError) []byte {
	var b bytes.Buffer
	b.WriteString("#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">")
	for _, line := range []string{e.Message, "    + CategoryInfo          : NotSpecified: (:) [], " + e.Type, "    + FullyQualifiedErrorId : " + e.Type} {
		b.WriteString(`<S S="Error">`)
		_ = xml.EscapeText(&b, []byte(strings.ReplaceAll(strings.ReplaceAll(line, "\r", "_x000D_"), "\n", "_x000A_")))
		b.WriteString("_x000D__x000A_</S>")
	}
	b.WriteString("</Objs>")
	return b.Bytes()
}

// newGUID is [Guid]::NewGuid().ToString('N').
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// runScript runs a script model and returns what powershell.exe would
// leave: stdout, stderr and the exit code. An exception no catch handled
// is printed to stderr as PowerShell prints an error record; a killed
// process leaves whatever it had written and exit code 1, and its lock
// abandoned.
func (h *Host) runScript(write bool, params, payload []byte) (stdout, stderr []byte, exitCode int) {
	r := newRun(h, write)
	defer func() {
		p := recover()
		if r.holding { // a thread that ends owning a mutex abandons it
			h.abandoned.Store(true)
			r.holding = false
			<-h.lock
		}
		switch x := p.(type) {
		case nil:
			stdout, exitCode = r.stdout.Bytes(), 0
		case scriptExit:
			stdout, exitCode = r.stdout.Bytes(), x.code
		case killed:
			h.kills.Add(1)
			stdout, stderr, exitCode = r.stdout.Bytes(), nil, 1
		case *dotnetError:
			stdout, stderr, exitCode = r.stdout.Bytes(), clixmlError(x), 1
		default:
			panic(p)
		}
	}()
	// The loader's first line: Constrained Language Mode answers before
	// anything else can run (remotefile.Loader).
	if len(r.strike("script", false)) > 0 {
		r.stdout.WriteString(`{"error":{"code":"constrained_language","message":"ConstrainedLanguage"}}` + "\r\n")
		panic(scriptExit{code: 1})
	}
	if write {
		if err := json.Unmarshal(params, &r.req); err != nil {
			panic(&dotnetError{"ArgumentException", hr(0x80070057), "Invalid JSON primitive: " + err.Error()})
		}
		r.payload = payload
		r.writeScript()
	} else {
		if err := json.Unmarshal(params, &r.read); err != nil {
			panic(&dotnetError{"ArgumentException", hr(0x80070057), "Invalid JSON primitive: " + err.Error()})
		}
		r.readScript()
	}
	return
}
