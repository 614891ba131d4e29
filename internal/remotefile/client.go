package remotefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Runner runs a PowerShell script on a host with stdin as its standard input.
type Runner interface {
	RunPowerShell(ctx context.Context, script string, stdin []byte) (Output, error)
}

// Output is what a script left on the host's console.
type Output struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// Client reads and replaces files on one host.
type Client struct {
	Runner      Runner
	Host        string // for messages
	KeepBackups int    // backups of the target kept beside it; at least 1
	Gzip        bool   // compress the file in both directions
	// ValidatePaths are the IIS configuration paths the host must still read
	// after a write (see WriteParams); nil means the server level only.
	ValidatePaths []string
}

// ServerPath is the IIS configuration path of the server level.
const ServerPath = "MACHINE/WEBROOT/APPHOST"

// File is a file as read from the host.
type File struct {
	Path    string // expanded on the host
	SHA256  string // hex, lower case
	Content []byte
}

// Error is a failed remote file operation. Its message names the host, the
// file and what to do next.
type Error struct {
	Op      string // "read" or "write"
	Host    string
	Path    string
	Code    string // a Code* constant, or "" for a transport failure
	Message string
	Err     error // the transport error, if any
	Applied bool  // a failed write that left the new file in place
	Win32   int   // the Win32 error code the host reported, if any
}

// Answered reports whether the script itself answered the error. Only an
// unanswered operation (a transport error, a killed process) leaves doubt
// about what happened on the host; an answered one says it.
func (e *Error) Answered() bool { return e.Err == nil && e.Code != "" && e.Code != CodeNoAnswer }

func (e *Error) Error() string {
	var hint string
	switch e.Code {
	case CodeNotFound:
		hint = "check config_path: IIS must be installed on the host and the path must point at applicationHost.config"
	case CodeAccessDenied:
		hint = "the WinRM user needs Modify rights on the file and its folder (local Administrators have them); a local administrator other than the built-in Administrator gets a filtered token over NTLM (UAC remote restrictions): set HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System LocalAccountTokenFilterPolicy=1 on the host, or use a domain account in the local Administrators group"
	case CodeNot64Bit:
		hint = "connect through the default 64-bit WinRM endpoint (Microsoft.PowerShell), not Microsoft.PowerShell32"
	case CodeUploadCorrupt:
		hint = "the upload was damaged in transit; nothing was written: run terraform apply again"
	case CodeConflict:
		hint = "another writer changed the file; run terraform apply again"
	case CodeRejected:
		hint = "check the entry against the IIS configuration schema, or report it if the provider wrote it"
	case CodeBusy:
		hint = "another Terraform run is writing the same file; nothing was written: run terraform apply again"
	case CodeConstrainedLanguage:
		hint = "PowerShell on the host runs in Constrained Language Mode (an AppLocker or WDAC policy), where the provider's scripts cannot run; nothing was done: allow FullLanguage for the WinRM user's sessions (for example a JEA or WDAC exception for powershell.exe run by WinRM)"
	case CodeReplaceFailed:
		hint = "another process (often an antivirus or backup agent) holds applicationHost.config or its temporary copy; the previous file is in place and nothing was changed: exclude inetsrv\\config from on-access scanning, or run terraform apply again later"
	case CodeRolledBack:
		hint = "the previous file was put back and nothing was changed: fix the cause above and run terraform apply again"
	case CodeRollbackFailed:
		hint = "the change WAS applied but could not be checked or undone: inspect the file on the host (the previous version is the backup named above), then run terraform plan"
	case CodeLiveMissing:
		hint = "IIS cannot start without this file: restore it on the host as the message says, then run terraform plan"
	case CodeNoAnswer:
		hint = "the remote script ended without an answer (killed, or the host restarted)"
	}
	msg := fmt.Sprintf("%s %s on %s: %s", e.Op, e.Path, e.Host, e.Message)
	if e.Err != nil {
		msg = fmt.Sprintf("%s %s on %s: %v", e.Op, e.Path, e.Host, e.Err)
	}
	if e.Op == "write" && e.Answered() {
		if e.Applied {
			msg += "; the change was applied"
		} else {
			msg += "; the change was not applied"
		}
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ConflictError reports that the file no longer had the expected hash.
type ConflictError struct {
	Op            *Error
	CurrentSHA256 string
	Current       *File // the file as the host has it now, when it sent it
}

func (e *ConflictError) Error() string { return e.Op.Error() }
func (e *ConflictError) Unwrap() error { return e.Op }

// Read fetches path (which may hold %environment% variables) and its hash.
func (c *Client) Read(ctx context.Context, path string) (*File, error) {
	return c.read(ctx, path, false)
}

// ReadSettled is Read after waiting for any write in progress on the host:
// the way to learn whether a write whose answer was lost took effect.
func (c *Client) ReadSettled(ctx context.Context, path string) (*File, error) {
	return c.read(ctx, path, true)
}

func (c *Client) read(ctx context.Context, path string, waitWriters bool) (*File, error) {
	var res ReadResult
	content, err := c.run(ctx, "read", path, ReadScript, ReadParams{Path: path, Gzip: c.Gzip, WaitWriters: waitWriters}, nil, &res)
	if err != nil {
		return nil, err
	}
	if res.Gzip {
		if content, err = gunzip(content); err != nil {
			return nil, &Error{Op: "read", Host: c.Host, Path: path, Code: CodeError, Message: "the compressed content arrived damaged: " + err.Error() + "; run terraform again"}
		}
	}
	if got := hash(content); got != res.SHA256 {
		return nil, &Error{Op: "read", Host: c.Host, Path: path, Code: CodeError, Message: fmt.Sprintf("content arrived damaged (sha256 %s, host said %s); run terraform again", got, res.SHA256)}
	}
	return &File{Path: res.Path, SHA256: res.SHA256, Content: content}, nil
}

// Write replaces path with content, provided the file still has expectedSHA.
// A *ConflictError means it did not: nothing was written.
func (c *Client) Write(ctx context.Context, path, expectedSHA string, content []byte) (*WriteResult, error) {
	return c.WriteValidated(ctx, path, expectedSHA, content, c.ValidatePaths)
}

// WriteValidated is Write with the IIS configuration paths at which IIS must
// read the request filtering section after the replace (appcmd's path form:
// ServerPath, or a location such as "Default Web Site/app"): every location
// the new content changed. Empty means the server level.
func (c *Client) WriteValidated(ctx context.Context, path, expectedSHA string, content []byte, validatePaths []string) (*WriteResult, error) {
	keep := c.KeepBackups
	if keep < 1 {
		keep = 1
	}
	validate := validatePaths
	if len(validate) == 0 {
		validate = []string{ServerPath}
	}
	params := WriteParams{Path: path, ExpectedSHA256: expectedSHA, ContentSHA256: hash(content), KeepBackups: keep, Gzip: c.Gzip, ValidatePaths: validate}
	payload := content
	if c.Gzip {
		payload = gzipBytes(content)
	}
	var res WriteResult
	if _, err := c.run(ctx, "write", path, WriteScript, params, payload, &res); err != nil {
		return nil, err
	}
	// The script answers the live file's hash as its last step, after IIS
	// accepted the new file. Another hash there means another writer
	// replaced the file after ours was in place (IIS Manager, appcmd, a
	// second pipeline): this write took effect, and that edit is theirs, so
	// it is no failure. The caller's copy is then stale, which the next
	// write's conflict check (or the next run's read) finds out.
	res.ReplacedSince = res.SHA256 != params.ContentSHA256
	return &res, nil
}

func (c *Client) run(ctx context.Context, op, path, script string, params any, payload []byte, result any) ([]byte, error) {
	in, err := EncodeRequest(script, params, payload)
	if err != nil {
		return nil, err
	}
	out, err := c.Runner.RunPowerShell(ctx, Loader, in)
	if err != nil {
		return nil, &Error{Op: op, Host: c.Host, Path: path, Err: err}
	}
	head, data, derr := decodeResponse(out.Stdout)
	var env ErrorEnvelope
	if derr == nil && json.Unmarshal(head, &env) == nil && env.Error != nil {
		e := &Error{Op: op, Host: c.Host, Path: path, Code: env.Error.Code, Message: env.Error.Message, Applied: env.Error.Applied, Win32: env.Error.Win32}
		if env.Error.Path != "" { // name the file as the host used it
			e.Path = env.Error.Path
		}
		if e.Code == CodeConflict {
			ce := &ConflictError{Op: e, CurrentSHA256: env.Error.CurrentSHA256}
			if len(data) > 0 { // the current file, to re-apply on without another read
				if c.Gzip {
					data, derr = gunzip(data)
				}
				if derr == nil && hash(data) == ce.CurrentSHA256 {
					ce.Current = &File{Path: path, SHA256: ce.CurrentSHA256, Content: data}
				}
			}
			return nil, ce
		}
		return nil, e
	}
	if out.ExitCode != 0 || derr != nil || json.Unmarshal(head, result) != nil {
		detail := readableStderr(out.Stderr)
		if detail == "" {
			detail = strings.TrimSpace(string(out.Stdout))
		}
		if len(detail) > 600 {
			detail = detail[:600] + "…"
		}
		if detail == "" {
			detail = "it printed nothing"
		}
		return nil, &Error{Op: op, Host: c.Host, Path: path, Code: CodeNoAnswer, Message: fmt.Sprintf("the remote script failed with exit code %d and no result: %s", out.ExitCode, detail)}
	}
	return data, nil
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Hash returns the hex SHA-256 the scripts use.
func Hash(b []byte) string { return hash(b) }

// maxFile bounds what the provider accepts as one file.
const maxFile = 256 << 20
