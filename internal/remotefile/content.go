package remotefile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The content library scan: which files a distribution point holds, so that
// the provider can tell which of them IIS request filtering would refuse.
//
// Where the library is, and how it is laid out (sources, cited where the
// code relies on them):
//   - The DP keeps the library's location in the registry value
//     HKLM\SOFTWARE\Microsoft\SMS\DP\ContentLibraryPath ("A deeper look at
//     how the ConfigMgr 2012 Content Library manages disk space",
//     blogs.technet.microsoft.com/configurationmgr/2014/06/09). The same
//     post says FileLib alone may move to another drive when the first one
//     fills; the value keeps pointing at the drive of PkgLib and DataLib,
//     which is all the scan reads.
//   - SCCMContentLib has PkgLib (one <PackageID>.INI per package), DataLib
//     (a <ContentID>.<Version>.INI and a <ContentID>.<Version> folder per
//     content, the folder mirroring the package's folders with one
//     <original file name>.INI per file) and FileLib (the files, by hash)
//     ("ConfigMgr 2012 Content Library Overview", blogs.technet.microsoft.com
//     /configmgrdogs/2012/04/26; "Understanding the Configuration Manager
//     Content Library", techcommunity.microsoft.com, 2013). So the relative
//     path of every file a client may request is the path of a DataLib .INI
//     minus ".INI", and no content is read.
//   - The sections of a PkgLib .INI are not documented by Microsoft. The
//     scan reads the keys of its [Packages] section as the content it
//     references, accepting both "ContentID" and "ContentID.Version" keys;
//     the DataLib folders stay the truth of what is on disk, and a package
//     that names nothing only loses its package ID in messages.
//
// The answer travels as one gzip-compressed text stream, one record a line,
// fields separated by TAB. Windows forbids characters 1 to 31 in file and
// folder names ("Naming Files, Paths, and Namespaces", learn.microsoft.com
// /windows/win32/fileio/naming-a-file), so neither a line feed nor a TAB
// can occur inside a path:
//
//	P <TAB> package ID <TAB> content key from PkgLib's [Packages]
//	C <TAB> content folder name (ContentID.Version)
//	F <TAB> relative path of a file of the last C, '\'-separated, without .INI
//	U <TAB> folder <TAB> code <TAB> message   (a folder that could not be listed)

// ContentScript lists a DP's content library (see the comment above) in one
// command whatever the number of files. It stops between two content
// folders once time_budget_ms or max_bytes is spent and names the folders
// it did not reach in "pending": the provider asks again for those, so a
// huge library costs a few commands instead of a timeout. An unreadable
// folder is reported (U) and skipped, never fatal; a missing registry value
// or DataLib folder is. Long paths: .NET 4.6.2 and later accept the \\?\
// prefix and read paths past MAX_PATH with it (".NET Framework 4.6.2 long
// path support", learn.microsoft.com/dotnet/framework/migration-guide
// /mitigation-long-path-support); older versions refuse the prefix, so it
// is only used when the DataLib folder can be opened with it, and a
// PathTooLongException is then reported as an unreadable folder.
// A U record's message has its line breaks and TABs made spaces (Get-Line),
// so that it stays one record.
// GetFiles' "*.INI" also matches longer extensions that begin with INI, and
// names whose 8.3 short name matches ("If the specified extension is exactly
// three characters long, the method returns files with extensions that
// begin with the specified extension", learn.microsoft.com/dotnet/api
// /system.io.directory.getfiles), hence the exact suffix checks.
const ContentScript = common + `function Get-Code($e) {
  if ($e -is [IO.FileNotFoundException] -or $e -is [IO.DirectoryNotFoundException]) { return 'not_found' }
  if ($e -is [UnauthorizedAccessException] -or (Get-Win32 $e) -eq 5) { return 'access_denied' }
  if ($e -is [IO.PathTooLongException]) { return 'path_too_long' }
  if ($e -is [IO.IOException]) { return 'io' }
  return 'error'
}
function Get-Line($e) { $e.Message.Replace([char]13, ' ').Replace([char]10, ' ').Replace([char]9, ' ') }
$tab = [string][char]9
try {
  $lib = [string]$req.library
  if (-not $lib) {
    $key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\Microsoft\SMS\DP')
    if (-not $key) { Fail 'not_a_dp' 'the registry key HKLM\SOFTWARE\Microsoft\SMS\DP does not exist: this host is not a Configuration Manager distribution point' }
    $lib = [string]$key.GetValue('ContentLibraryPath')
    $key.Close()
    if (-not $lib) { Fail 'no_content_library' 'HKLM\SOFTWARE\Microsoft\SMS\DP has no ContentLibraryPath value: the distribution point has no content library yet' }
  }
  $lib = $lib.TrimEnd('\')
  $data = $lib + '\DataLib'
  $pre = ''
  try { if ([IO.Directory]::Exists('\\?\' + $data)) { $pre = '\\?\' } } catch { }
  try { $folders = [IO.Directory]::GetDirectories($pre + $data) }
  catch { $e = Get-Inner $_.Exception; Fail (Get-Code $e) ('the content library folder ' + $data + ' (from HKLM\SOFTWARE\Microsoft\SMS\DP\ContentLibraryPath) cannot be listed: ' + $e.Message) }
  $ms = New-Object IO.MemoryStream
  $sink = $ms
  if ($req.gzip) { $sink = New-Object IO.Compression.GZipStream($ms, [IO.Compression.CompressionMode]::Compress) }
  $w = New-Object IO.StreamWriter($sink, (New-Object Text.UTF8Encoding($false)), 65536)
  $w.NewLine = [string][char]10
  $ids = @($req.content_ids | Where-Object { $_ })
  $want = @{}
  foreach ($i in $ids) { $want[$i.ToLowerInvariant()] = $i }
  $found = @{}
  $unreadable = 0
  $pkgs = @()
  if (-not $req.skip_packages) {
    try { $pkgs = [IO.Directory]::GetFiles($pre + $lib + '\PkgLib', '*.INI') }
    catch { $e = Get-Inner $_.Exception; $unreadable++; $w.WriteLine('U' + $tab + $lib + '\PkgLib' + $tab + (Get-Code $e) + $tab + (Get-Line $e)) }
  }
  foreach ($f in $pkgs) {
    if (-not $f.EndsWith('.INI', [StringComparison]::OrdinalIgnoreCase)) { continue }
    $pkg = [IO.Path]::GetFileNameWithoutExtension($f)
    try {
      $in = $false
      foreach ($line in [IO.File]::ReadAllLines($f)) {
        $t = $line.Trim()
        if ($t.StartsWith('[')) { $in = ($t -eq '[Packages]') }
        elseif ($in -and $t.IndexOf('=') -gt 0) {
          $c = $t.Substring(0, $t.IndexOf('=')).Trim()
          $w.WriteLine('P' + $tab + $pkg + $tab + $c)
          if ($want.ContainsKey($pkg.ToLowerInvariant())) { $want[$c.ToLowerInvariant()] = $pkg; $found[$pkg.ToLowerInvariant()] = $true }
        }
      }
    } catch { $e = Get-Inner $_.Exception; $unreadable++; $w.WriteLine('U' + $tab + $f.Substring($pre.Length) + $tab + (Get-Code $e) + $tab + (Get-Line $e)) }
  }
  $clock = [Diagnostics.Stopwatch]::StartNew()
  $budget = [int64]$req.time_budget_ms
  $maxBytes = [int64]$req.max_bytes
  $written = [int64]0
  $contents = 0; $files = 0
  $pending = New-Object Collections.Generic.List[string]
  foreach ($dir in $folders) {
    $folder = [IO.Path]::GetFileName($dir)
    $dot = $folder.LastIndexOf('.')
    $id = $folder
    if ($dot -gt 0) { $id = $folder.Substring(0, $dot) }
    if ($ids.Count -gt 0) {
      $k = $null
      if ($want.ContainsKey($folder.ToLowerInvariant())) { $k = $folder.ToLowerInvariant() } elseif ($want.ContainsKey($id.ToLowerInvariant())) { $k = $id.ToLowerInvariant() }
      if (-not $k) { continue }
      $found[$k] = $true
      $found[$want[$k].ToLowerInvariant()] = $true
    }
    if (($budget -gt 0 -and $clock.ElapsedMilliseconds -gt $budget) -or ($maxBytes -gt 0 -and $written -gt $maxBytes)) { $pending.Add($folder); continue }
    $contents++
    $w.WriteLine('C' + $tab + $folder)
    $root = $dir.Length + 1
    $stack = New-Object Collections.Generic.Stack[string]
    $stack.Push($dir)
    while ($stack.Count -gt 0) {
      $d = $stack.Pop()
      try {
        foreach ($f in [IO.Directory]::GetFiles($d)) {
          if ($f.EndsWith('.INI', [StringComparison]::OrdinalIgnoreCase) -and $f.Length -gt $root + 4) {
            $rel = $f.Substring($root, $f.Length - $root - 4)
            $w.WriteLine('F' + $tab + $rel)
            $files++; $written += $rel.Length + 3
          }
        }
        foreach ($s in [IO.Directory]::GetDirectories($d)) { $stack.Push($s) }
      } catch { $e = Get-Inner $_.Exception; $unreadable++; $w.WriteLine('U' + $tab + $d.Substring($pre.Length) + $tab + (Get-Code $e) + $tab + (Get-Line $e)) }
    }
  }
  $missing = @($ids | Where-Object { -not $found.ContainsKey($_.ToLowerInvariant()) })
  $w.Close()
  Out-Result @{ library = $lib; gzip = [bool]$req.gzip; contents = $contents; files = $files; unreadable = $unreadable; pending = @($pending); missing = $missing } $ms.ToArray()
} catch { Out-Fail $_.Exception }
`

// ContentParams asks ContentScript for a listing.
type ContentParams struct {
	// Path is unused by the scan; the shared prelude expands it, so it
	// names the library for messages.
	Path string `json:"path"`
	// Library overrides the registry value (the provider never sets it; a
	// test of the script may).
	Library string `json:"library,omitempty"`
	// ContentIDs restricts the scan: a package ID (through PkgLib), a
	// content ID, or a content folder name with its version. Empty: all.
	ContentIDs []string `json:"content_ids"`
	// SkipPackages leaves PkgLib unread: a follow-up command asks for
	// content folders by name, and the first command listed PkgLib.
	SkipPackages bool  `json:"skip_packages,omitempty"`
	Gzip         bool  `json:"gzip"`
	TimeBudgetMS int64 `json:"time_budget_ms"` // stop between content folders after this long; 0: no limit
	MaxBytes     int64 `json:"max_bytes"`      // and after about this many bytes of listing; 0: no limit
}

// ContentResult is the script's JSON answer; the listing is the payload.
type ContentResult struct {
	Library    string   `json:"library"` // SCCMContentLib, as the registry has it
	Gzip       bool     `json:"gzip"`
	Contents   int      `json:"contents"`
	Files      int      `json:"files"`
	Unreadable int      `json:"unreadable"`
	Pending    []string `json:"pending"` // content folders left for another command
	Missing    []string `json:"missing"` // requested IDs that matched nothing
}

// Error codes of the content scan, besides the shared ones.
const (
	CodeNotADP           = "not_a_dp"           // no HKLM\SOFTWARE\Microsoft\SMS\DP key
	CodeNoContentLibrary = "no_content_library" // the key has no ContentLibraryPath
	CodePathTooLong      = "path_too_long"      // a folder past MAX_PATH on .NET before 4.6.2
)

// The budgets of one scan command. WinRM bounds a command by the client's
// timeout (the provider's `timeout`, 60 s by default), not by the envelope:
// the service splits stdout over as many Receive replies as it needs, each
// within MaxEnvelopeSizekb. A command stops listing after half the default
// timeout, leaving the rest of it for compressing and sending, and after
// 64 MiB of listing (about 600,000 paths), well within what the provider
// accepts as one payload (maxFile).
const (
	contentTimeBudget = 30_000 // ms
	contentMaxBytes   = 64 << 20
	// maxContentCommands bounds the follow-ups: each command lists at least
	// one content folder, so this only stops a host that answers nonsense.
	maxContentCommands = 64
)

// ContentLibrary is a DP's content library as listed.
type ContentLibrary struct {
	Path     string    // SCCMContentLib on the host
	Contents []Content // DataLib content folders, in the order listed
	// Packages maps a content folder name (lower case) to the packages
	// whose PkgLib .INI references it.
	Packages   map[string][]string
	Unreadable []Unreadable // folders and files the scan could not read
	Missing    []string     // requested IDs found nowhere
	Commands   int          // WinRM commands the scan took
	Bytes      int          // payload bytes received (compressed when gzip is on)
}

// Content is one DataLib content folder.
type Content struct {
	Name  string   // ContentID.Version, e.g. "PS100012.1" or "Content_6a1e….1"
	Files []string // relative paths, '\'-separated, as the package holds them
}

// ID is the content ID without its version.
func (c Content) ID() string {
	if i := strings.LastIndexByte(c.Name, '.'); i > 0 {
		return c.Name[:i]
	}
	return c.Name
}

// Unreadable is a folder (or a PkgLib file) the scan could not read.
type Unreadable struct {
	Path, Code, Message string
}

// PackagesOf returns the packages that reference a content folder,
// matching PkgLib keys written with or without the version.
func (l *ContentLibrary) PackagesOf(c Content) []string {
	if p := l.Packages[strings.ToLower(c.Name)]; len(p) > 0 {
		return p
	}
	return l.Packages[strings.ToLower(c.ID())]
}

// ContentQuery says what to list and how much one command may list.
type ContentQuery struct {
	// IDs restricts the scan to these package IDs, content IDs or content
	// folder names (ContentID.Version); empty lists everything.
	IDs []string
	// TimeBudget and MaxBytes bound one command; zero means the defaults
	// (contentTimeBudget, contentMaxBytes). Tests make them small to see
	// a scan continue over several commands.
	TimeBudget time.Duration
	MaxBytes   int64
}

// ListContent lists the DP's content library: all of it, or the content of
// the given package or content IDs. It costs one command unless the library
// is too big for one (see contentTimeBudget).
func (c *Client) ListContent(ctx context.Context, q ContentQuery) (*ContentLibrary, error) {
	const what = `HKLM\SOFTWARE\Microsoft\SMS\DP\ContentLibraryPath`
	lib := &ContentLibrary{Packages: map[string][]string{}}
	seen := map[string]bool{}
	req := ContentParams{Path: what, ContentIDs: q.IDs, Gzip: c.Gzip, TimeBudgetMS: contentTimeBudget, MaxBytes: contentMaxBytes}
	if q.TimeBudget > 0 {
		req.TimeBudgetMS = max(1, q.TimeBudget.Milliseconds())
	}
	if q.MaxBytes > 0 {
		req.MaxBytes = q.MaxBytes
	}
	if req.ContentIDs == nil {
		req.ContentIDs = []string{}
	}
	for {
		var res ContentResult
		data, err := c.run(ctx, "list the content library", what, ContentScript, req, nil, &res)
		if err != nil {
			return nil, contentError(err)
		}
		lib.Commands++
		lib.Bytes += len(data)
		lib.Path = res.Library
		if res.Gzip {
			if data, err = gunzip(data); err != nil {
				return nil, &Error{Op: "list the content library", Host: c.Host, Path: res.Library, Code: CodeError, Message: "the compressed listing arrived damaged: " + err.Error() + "; run terraform again"}
			}
		}
		before := len(lib.Contents)
		if err := lib.parse(data, seen); err != nil {
			return nil, &Error{Op: "list the content library", Host: c.Host, Path: res.Library, Code: CodeError, Message: err.Error()}
		}
		if got := len(lib.Contents) - before; got != res.Contents {
			return nil, &Error{Op: "list the content library", Host: c.Host, Path: res.Library, Code: CodeError, Message: fmt.Sprintf("the listing holds %d content folders, the host said %d: it arrived incomplete; run terraform again", got, res.Contents)}
		}
		if lib.Commands == 1 { // later commands ask for folders the first one found
			lib.Missing = res.Missing
		}
		if len(res.Pending) == 0 {
			return lib, nil
		}
		if res.Contents == 0 || lib.Commands >= maxContentCommands {
			return nil, &Error{Op: "list the content library", Host: c.Host, Path: res.Library, Code: CodeError, Message: fmt.Sprintf("the host listed %d content folders and left %d pending after %d commands; restrict the scan with content_ids", len(lib.Contents), len(res.Pending), lib.Commands)}
		}
		// The next command asks for exactly the folders left, by name, so
		// it needs nothing from PkgLib, which the first one listed.
		req.ContentIDs = res.Pending
		req.SkipPackages = true
	}
}

// ContentError is a failed content scan. Its message carries the hints of
// the content library, not those of applicationHost.config that Error
// gives for the same codes; errors.As and IsCode still find the *Error.
type ContentError struct{ Err *Error }

func (e *ContentError) Error() string {
	var hint string
	switch e.Err.Code {
	case CodeNotADP, CodeNoContentLibrary:
		hint = "point host at a ConfigMgr distribution point, or leave this host out of the content check"
	case CodeNotFound:
		hint = "the registry names a content library that is not there: check the DP in the Configuration Manager console, or run the Content Library Transfer tool's checks"
	case CodeAccessDenied:
		hint = "the WinRM user needs read access to the content library (local Administrators have it)"
	case CodeNot64Bit:
		// A 32-bit process's view of HKLM\SOFTWARE is redirected to
		// HKLM\SOFTWARE\WOW6432Node ("Registry Redirector",
		// learn.microsoft.com/windows/win32/winprog64/registry-redirector),
		// where ConfigMgr's 64-bit DP key is not.
		hint = "connect through the default 64-bit WinRM endpoint (Microsoft.PowerShell): a 32-bit process reads the registry's WOW6432Node instead"
	}
	msg := fmt.Sprintf("%s on %s: %s", e.Err.Op, e.Err.Host, e.Err.Message)
	if e.Err.Err != nil {
		msg = fmt.Sprintf("%s on %s: %v", e.Err.Op, e.Err.Host, e.Err.Err)
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *ContentError) Unwrap() error { return e.Err }

// contentError gives a scan's *Error the content library's hints.
func contentError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &ContentError{Err: e}
	}
	return err
}

// parse reads one command's listing into l.
// seen holds the P and U records already taken, so that a record the host
// sends twice (a package key listed twice, a host that reads PkgLib again
// in a follow-up command) counts once.
func (l *ContentLibrary) parse(data []byte, seen map[string]bool) error {
	cur := -1 // index of the content folder the F lines belong to
	for n, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		tag, rest, _ := strings.Cut(line, "\t")
		switch tag {
		case "P":
			pkg, key, ok := strings.Cut(rest, "\t")
			k := strings.ToLower(key) + "\t" + pkg
			if ok && !seen[k] {
				seen[k] = true
				key = strings.ToLower(key)
				l.Packages[key] = append(l.Packages[key], pkg)
			}
		case "C":
			l.Contents = append(l.Contents, Content{Name: rest})
			cur = len(l.Contents) - 1
		case "F":
			if cur < 0 {
				return fmt.Errorf("line %d of the listing names a file before any content folder", n+1)
			}
			l.Contents[cur].Files = append(l.Contents[cur].Files, rest)
		case "U":
			f := strings.SplitN(rest, "\t", 3)
			for len(f) < 3 {
				f = append(f, "")
			}
			if !seen[f[0]] {
				seen[f[0]] = true
				l.Unreadable = append(l.Unreadable, Unreadable{Path: f[0], Code: f[1], Message: strings.TrimSpace(f[2])})
			}
		default:
			return fmt.Errorf("line %d of the listing has the unknown tag %q", n+1, tag)
		}
	}
	return nil
}
