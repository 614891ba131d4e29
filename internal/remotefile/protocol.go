// Package remotefile reads and replaces one file on a Windows host by running
// constant PowerShell scripts through a Runner (WinRM in production, the DP
// simulator in tests). It knows nothing of XML: it moves bytes safely.
package remotefile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf16"
)

// The documents exchanged with the scripts. The DP simulator decodes the same
// types with the same framing functions, so the two sides cannot drift apart.

// ReadParams asks ReadScript for a file.
type ReadParams struct {
	Path string `json:"path"` // may hold %environment% variables
	Gzip bool   `json:"gzip"` // compress the payload
	// WaitWriters waits for a write in progress on the host to finish.
	WaitWriters bool `json:"wait_writers,omitempty"`
}

// ReadResult describes the file read; the payload is its content.
type ReadResult struct {
	Path   string `json:"path"` // expanded
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"` // uncompressed
	Gzip   bool   `json:"gzip"` // the payload is gzip-compressed
}

// WriteParams asks WriteScript to replace a file that must still have
// ExpectedSHA256 with the payload.
type WriteParams struct {
	Path           string `json:"path"`
	ExpectedSHA256 string `json:"expected_sha256"`
	ContentSHA256  string `json:"content_sha256"`
	KeepBackups    int    `json:"keep_backups"`
	Gzip           bool   `json:"gzip"` // the payload is gzip-compressed
	// ValidatePaths are IIS configuration paths ("MACHINE/WEBROOT/APPHOST",
	// "Default Web Site/app") at which IIS must still read the request
	// filtering section after the replace; otherwise the old file goes back.
	ValidatePaths []string `json:"validate_paths"`
}

// WriteResult reports a completed replace.
type WriteResult struct {
	SHA256 string `json:"sha256"` // of the file now on disk
	Backup string `json:"backup"` // path of the copy of the replaced file
	// ReplacedSince is the client's: the file on disk at the end was not
	// the one written, because another writer replaced it after this write
	// was in place and accepted by IIS.
	ReplacedSince bool `json:"-"`
}

// ScriptError is the {"error": {...}} answer of a script.
type ScriptError struct {
	Code          string `json:"code"` // see the Code* constants
	Message       string `json:"message"`
	CurrentSHA256 string `json:"current_sha256,omitempty"` // with CodeConflict
	// Applied says the new file is in place although the write failed
	// (CodeRollbackFailed); every other failed write left the old file.
	Applied bool `json:"applied,omitempty"`
	// Win32 is the Win32 error code of the failed call (from the .NET
	// exception's HResult), 0 when there was none.
	Win32 int `json:"win32,omitempty"`
	// Path is the file as the host expanded the requested path
	// ("C:\Windows\System32\..." for "%windir%\System32\..."), so that a
	// message names the file one way: as the host used it.
	Path string `json:"path,omitempty"`
}

// Error codes the scripts answer.
const (
	CodeNotFound      = "not_found"
	CodeAccessDenied  = "access_denied"
	CodeConflict      = "conflict"
	CodeUploadCorrupt = "upload_corrupt"
	CodeNot64Bit      = "not_64bit"
	CodeIO            = "io"
	CodeBusy          = "busy"
	CodeRejected      = "rejected" // the host's validation refused the new file; the old one is back
	// CodeRejectedBefore: as CodeRejected, and the host's validation
	// refuses the old file too: the fault predates the edit.
	CodeRejectedBefore = "rejected_before"
	CodeError          = "error"
	// CodeConstrainedLanguage: PowerShell runs in Constrained Language Mode
	// (AppLocker or WDAC), which the scripts cannot run in; nothing was done.
	CodeConstrainedLanguage = "constrained_language"
	// CodeReplaceFailed: ReplaceFile failed (1175, 1176, 1177, or sharing
	// violations past the retries); the old file is back in place.
	CodeReplaceFailed = "replace_failed"
	// CodeRolledBack: something failed after the swap (reading the backup,
	// appcmd not starting); the old file was put back.
	CodeRolledBack = "rolled_back"
	// CodeRollbackFailed: something failed after the swap and putting the
	// old file back failed too: the new file is in place (Applied).
	CodeRollbackFailed = "rollback_failed"
	// CodeLiveMissing: the live file is missing and what is beside it does
	// not say unambiguously which file belongs there.
	CodeLiveMissing = "live_missing"
	// CodeNoAnswer is the client's own: the script ended without an answer
	// (the process was killed, the host rebooted); whether a write took
	// effect must be found out by reading the file.
	CodeNoAnswer = "no_answer"
)

// ErrorEnvelope wraps ScriptError on the wire.
type ErrorEnvelope struct {
	Error *ScriptError `json:"error"`
}

// encodedScripts holds the first stdin line of each operation script,
// computed once: compressing the script for every command cost a plan of
// 50 hosts a tenth of its provider CPU. It is filled on first use and
// never changed after, like a constant.
var encodedScripts = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{ReadScript, WriteScript} {
		m[s] = base64.StdEncoding.EncodeToString(gzipBytes([]byte(s)))
	}
	return m
})

// encodedScript is the script line: base64 of the gzip of its UTF-8.
func encodedScript(script string) string {
	if e, ok := encodedScripts()[script]; ok {
		return e
	}
	return base64.StdEncoding.EncodeToString(gzipBytes([]byte(script)))
}

// EncodeRequest frames stdin for the Loader.
func EncodeRequest(script string, params any, payload []byte) ([]byte, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	p = asciiJSON(p)
	var b bytes.Buffer
	b.WriteString(encodedScript(script))
	b.WriteByte('\n')
	b.Write(p)
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(payload))
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// DecodeRequest undoes EncodeRequest (the simulator's side).
func DecodeRequest(stdin []byte) (script string, params json.RawMessage, payload []byte, err error) {
	lines := bytes.Split(stdin, []byte{'\n'})
	if len(lines) < 3 {
		return "", nil, nil, errors.New("stdin does not have the three lines the loader reads")
	}
	z, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(lines[0])))
	if err != nil {
		return "", nil, nil, fmt.Errorf("script line: %w", err)
	}
	s, err := gunzip(z)
	if err != nil {
		return "", nil, nil, fmt.Errorf("script line: %w", err)
	}
	payload, err = base64.StdEncoding.DecodeString(string(bytes.TrimSpace(lines[2])))
	if err != nil {
		return "", nil, nil, fmt.Errorf("payload line: %w", err)
	}
	return string(s), bytes.TrimSpace(lines[1]), payload, nil
}

// EncodeResponse frames a script's stdout (the simulator's side): the JSON
// result, a line break, the raw payload.
func EncodeResponse(result any, payload []byte) []byte {
	r, _ := json.Marshal(result)
	return append(append(r, '\n'), payload...)
}

// decodeResponse splits stdout into the JSON result and the payload. The
// JSON is one line (ConvertTo-Json -Compress escapes line breaks); anything
// PowerShell printed before it is skipped up to the first '{'.
func decodeResponse(stdout []byte) (json.RawMessage, []byte, error) {
	start := bytes.IndexByte(stdout, '{')
	if start < 0 {
		return nil, nil, fmt.Errorf("no JSON result in the output")
	}
	head, payload, found := bytes.Cut(stdout[start:], []byte{'\n'})
	if !found {
		return nil, nil, fmt.Errorf("the result line is not terminated")
	}
	return bytes.TrimSpace(head), payload, nil
}

// asciiJSON escapes every non-ASCII character of a JSON document as \uXXXX:
// powershell.exe decodes stdin with the console code page, which is not
// always UTF-8, and JSON escapes mean the same under every code page.
func asciiJSON(b []byte) []byte {
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.Bytes()
}
