package remotefile

// How a remote operation travels. The command line is the constant Loader
// (cmd.exe limits it to about 3,000 characters of script, too few for the
// operations). Stdin carries three lines: the operation's script, a constant
// of this file, as base64 of UTF-8; its parameters as JSON; and a base64
// payload (the file, for a write). The loader compiles the script and calls it
// with the parameters and payload as arguments: values are bound as data and
// never spliced into script text, so no value can change what a script does.
// Stdout carries a JSON result (or {"error": {...}} with exit code 1), a line
// break, and the payload as raw bytes, written to the standard output
// stream itself: WinRM moves stdout as bytes (base64 inside its SOAP), so a
// text encoding of our own would only add a third. Stdin keeps base64 lines
// because the loader splits it on line breaks, and because Windows
// PowerShell's ConvertFrom-Json refuses documents over 2 MB.
//
// The scripts run in Windows PowerShell 4.0 or later (.NET 4.5).

// Loader is the script on the command line of every operation. It travels
// with every command as UTF-16 in base64 (2.7 bytes a character), so it is
// terse: FromBase64String skips white space (a CR included) and
// StreamReader reads UTF-8 by default. The mode stays a typed enum: a bare
// string or number would leave PowerShell to choose between GZipStream's
// CompressionMode and CompressionLevel constructors.
const Loader = `$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue'
$l=[Console]::In.ReadToEnd().Split([char]10)
$z=New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(,[Convert]::FromBase64String($l[0]))),[IO.Compression.CompressionMode]::Decompress)
& ([ScriptBlock]::Create((New-Object IO.StreamReader($z)).ReadToEnd())) ($l[1]|ConvertFrom-Json) $l[2].Trim()
`

// common starts every operation (a function returning a byte[] must
// "return ,$array": PowerShell would unroll it into an object[] otherwise): strict errors, the answer format, SHA-256
// hex, error classification (an exception from a .NET method arrives wrapped
// in MethodInvocationException; the inner one says what happened), and the
// 64-bit check: a 32-bit process is redirected from System32 to SysWOW64 and
// would not find applicationHost.config.
const common = `param($req, $payload)
$ErrorActionPreference = 'Stop'
function Out-Result($o, [byte[]]$data) {
  $out = [Console]::OpenStandardOutput()
  $head = [Text.Encoding]::UTF8.GetBytes(($o | ConvertTo-Json -Compress) + [char]10)
  $out.Write($head, 0, $head.Length)
  if ($data) { $out.Write($data, 0, $data.Length) }
  $out.Flush()
}
function Get-Sha256([byte[]]$b) { [BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash($b)).Replace('-', '').ToLowerInvariant() }
function Compress([byte[]]$b) { $m = New-Object IO.MemoryStream; $z = New-Object IO.Compression.GZipStream($m, [IO.Compression.CompressionMode]::Compress); $z.Write($b, 0, $b.Length); $z.Close(); return ,$m.ToArray() }
function Fail($code, $msg, $cur, $data) { Out-Result @{ error = @{ code = $code; message = $msg; current_sha256 = $cur; path = $path } } $data; exit 1 }
function Out-Data([byte[]]$b) { if ($req.gzip) { return ,(Compress $b) }; return ,$b }
function Out-Fail($e) {
  if ($e -is [Management.Automation.MethodInvocationException] -and $e.InnerException) { $e = $e.InnerException }
  $code = 'error'
  if ($e -is [IO.FileNotFoundException] -or $e -is [IO.DirectoryNotFoundException]) { $code = 'not_found' }
  elseif ($e -is [UnauthorizedAccessException]) { $code = 'access_denied' }
  elseif ($e -is [IO.IOException]) { $code = 'io' }
  Fail $code $e.Message
}
function Get-WriteLock { New-Object Threading.Mutex($false, ('Global\tf-iis-' + (Get-Sha256 ([Text.Encoding]::UTF8.GetBytes($path.ToLowerInvariant()))))) }
if (-not [Environment]::Is64BitProcess) { Fail 'not_64bit' 'PowerShell is 32-bit; applicationHost.config is visible only to 64-bit processes' }
$path = [Environment]::ExpandEnvironmentVariables($req.path)
`

// ReadScript answers ReadResult and the file as payload, gzip-compressed
// when asked: an applicationHost.config shrinks to about a tenth. With
// wait_writers (asked after a write whose answer was lost) it first lets a
// write still running finish: it takes and releases the write lock. The
// script travels with every read, so its comments live here.
const ReadScript = common + `try {
  if ($req.wait_writers) {
    $lock = Get-WriteLock; $own = $false
    try { $own = $lock.WaitOne(60000) } catch [Threading.AbandonedMutexException] { $own = $true }
    if ($own) { $lock.ReleaseMutex() }
  }
  $bytes = [IO.File]::ReadAllBytes($path)
  Out-Result @{ path = $path; sha256 = (Get-Sha256 $bytes); size = $bytes.Length; gzip = [bool]$req.gzip } (Out-Data $bytes)
} catch { Out-Fail $_.Exception }
`

// WriteScript replaces the file with the payload, answering WriteResult.
// Step by step, so that the live file is always the old file or the new one:
//  0. writers of one file on one host take turns through a named mutex
//     (Windows releases it when a process dies), so that
//  1. leftovers of interrupted runs (our *.tf-*.tmp files only) can be
//     deleted without touching a write still in progress;
//  2. the payload's SHA-256 is checked (a damaged upload stops here);
//  3. it is written to a temporary file beside the target and read back;
//  4. the live file's SHA-256 must still be the one the provider read
//     (otherwise "conflict": someone else wrote; the answer carries the
//     file as it is now, so the provider re-applies without another read);
//  5. [IO.File]::Replace swaps the files atomically (ReplaceFile on NTFS),
//     moving the old file to a timestamped backup; the target keeps its ACL;
//  6. the backup, exactly what was replaced, is hashed: if another writer
//     slipped in between 4 and 5, their file is put back and the answer is
//     "conflict", so no one's edit is lost;
//  7. IIS must accept the new file: appcmd.exe lists the request filtering
//     section at every path given (IIS parses the configuration to do so);
//     if it fails, the backup is put back and the answer is "rejected", or
//     "rejected_before" when appcmd refuses the old file as well (the fault
//     predates the edit, so applying again cannot help);
//  8. backups beyond keep_backups are deleted, oldest first.
const WriteScript = common + `function Expand([byte[]]$b) { $z = New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(,$b)), [IO.Compression.CompressionMode]::Decompress); $m = New-Object IO.MemoryStream; $z.CopyTo($m); $z.Close(); return ,$m.ToArray() }
$tmp = $null
$lock = Get-WriteLock
try { if (-not $lock.WaitOne(60000)) { Fail 'busy' 'another Terraform write held the lock for 60 s' } } catch [Threading.AbandonedMutexException] { }
try {
  $dir = [IO.Path]::GetDirectoryName($path); $name = [IO.Path]::GetFileName($path)
  Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-*.tmp') | Remove-Item -Force -ErrorAction SilentlyContinue
  $bytes = [Convert]::FromBase64String($payload)
  if ($req.gzip) { $bytes = Expand $bytes }
  if ((Get-Sha256 $bytes) -ne $req.content_sha256) { Fail 'upload_corrupt' 'upload does not match its SHA-256' }
  $tmp = Join-Path $dir ($name + '.tf-' + [Guid]::NewGuid().ToString('N') + '.tmp')
  [IO.File]::WriteAllBytes($tmp, $bytes)
  if ((Get-Sha256 ([IO.File]::ReadAllBytes($tmp))) -ne $req.content_sha256) { Remove-Item -LiteralPath $tmp -Force; Fail 'upload_corrupt' 'temporary file does not match the upload' }
  $curBytes = [IO.File]::ReadAllBytes($path); $cur = Get-Sha256 $curBytes
  if ($cur -ne $req.expected_sha256) { Remove-Item -LiteralPath $tmp -Force; Fail 'conflict' 'the file changed since it was read' $cur (Out-Data $curBytes) }
  $bak = Join-Path $dir ($name + '.tf-backup-' + [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffffff') + 'Z')
  [IO.File]::Replace($tmp, $path, $bak)
  $tmp = $null
  $oldBytes = [IO.File]::ReadAllBytes($bak); $old = Get-Sha256 $oldBytes
  if ($old -ne $req.expected_sha256) {
    [IO.File]::Replace($bak, $path, $null)
    Fail 'conflict' 'another writer replaced the file during the write; their version was put back' $old (Out-Data $oldBytes)
  }
  $appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'
  if (Test-Path -LiteralPath $appcmd) {
    foreach ($p in @($req.validate_paths)) {
      $o = & $appcmd list config $p '-section:system.webServer/security/requestFiltering' 2>&1
      if ($LASTEXITCODE -ne 0) {
        [IO.File]::Replace($bak, $path, $null)
        $code = 'rejected'; $too = ''
        $null = & $appcmd list config $p '-section:system.webServer/security/requestFiltering' 2>&1
        if ($LASTEXITCODE -ne 0) { $code = 'rejected_before'; $too = ', and IIS rejects it too' }
        Fail $code ('IIS rejected the new file (appcmd list config ' + $p + '): ' + ($o -join ' ') + '; the previous file was put back' + $too)
      }
    }
  }
  Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-backup-*') | Sort-Object Name -Descending | Select-Object -Skip ([int]$req.keep_backups) | Remove-Item -Force
  Out-Result @{ sha256 = (Get-Sha256 ([IO.File]::ReadAllBytes($path))); backup = $bak } $null
} catch {
  if ($tmp) { Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue }
  Out-Fail $_.Exception
} finally { $lock.ReleaseMutex() }
`
