package remotefile

// How a remote operation travels. The command line is the constant Loader
// (cmd.exe limits it to about 3,000 characters of script, too few for the
// operations). Stdin carries three lines: the operation's script, a constant
// of this file, gzipped UTF-8 in base64; its parameters as JSON; and a base64
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
//
// The DP simulator (internal/testbed/dpsim) runs a Go model of WriteScript
// and ReadScript, function by function; a test there compares the sequence of
// Windows primitives each function of these scripts calls (from the
// tree-sitter syntax tree) with the model's, so a change here that the model
// does not follow fails the tests.

// Loader is the script on the command line of every operation. It travels
// with every command as UTF-16 in base64 (2.7 bytes a character), so it is
// terse: FromBase64String skips white space (a CR included) and
// StreamReader reads UTF-8 by default. The mode stays a typed enum: a bare
// string or number would leave PowerShell to choose between GZipStream's
// CompressionMode and CompressionLevel constructors.
//
// Its first statement detects Constrained Language Mode (AppLocker or WDAC
// policy; about_Language_Modes): there New-Object and method calls on .NET
// types such as [Console] and GZipStream are refused, so nothing after it
// could run. It answers a code of its own with only what that mode allows
// (string concatenation and pipeline output, which powershell.exe writes to
// stdout as one line, kept short so no console width can wrap it).
const Loader = `$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue'
$m=$ExecutionContext.SessionState.LanguageMode;if($m -ne 'FullLanguage'){'{"error":{"code":"constrained_language","message":"'+$m+'"}}';exit 1}
$l=[Console]::In.ReadToEnd().Split([char]10)
$z=New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(,[Convert]::FromBase64String($l[0]))),[IO.Compression.CompressionMode]::Decompress)
& ([ScriptBlock]::Create((New-Object IO.StreamReader($z)).ReadToEnd())) ($l[1]|ConvertFrom-Json) $l[2].Trim()
`

// common starts every operation (a function returning a byte[] must
// "return ,$array": PowerShell would unroll it into an object[] otherwise):
// strict errors, the answer format, SHA-256 hex, error classification, the
// recovery of an interrupted write, and the 64-bit check: a 32-bit process
// is redirected from System32 to SysWOW64 and would not find
// applicationHost.config.
//
// Get-Sha256 uses SHA256CryptoServiceProvider: [SHA256]::Create() is
// SHA256Managed on .NET Framework, whose constructor throws
// InvalidOperationException when the "System cryptography: Use FIPS compliant
// algorithms" policy is on (SHA256Managed constructor documentation); the
// CryptoServiceProvider class is FIPS-validated.
//
// Get-Inner unwraps to the innermost exception: an exception in a .NET method
// arrives wrapped in MethodInvocationException, one in a constructor in
// TargetInvocationException as well. Get-Win32 reads the Win32 error code
// from its HResult: .NET Framework's __Error.WinIOError builds the IOException
// of a failed Win32 file call with HRESULT_FROM_WIN32(code), facility 7 in the
// high word and the code in the low 16 bits.
//
// Names: a write calls its files <name>.tf-<id>.tmp (the new content),
// <name>.tf-<id>.undo.tmp (the new content moved aside by a rollback) and
// <name>.tf-backup-<UTC>Z-<id> (the file it replaced), with one random id, so
// that what an interrupted write left behind can be told apart from older
// backups. Repair-Live runs under the write lock, before anything is deleted:
// when the live file is missing and the newest backup belongs to a write
// whose temporary file is still there, that write died inside a swap
// (ReplaceFile had renamed the live file to the backup name and not yet moved
// the replacement in, or a rollback had not yet moved the backup back): the
// backup is the file that was live, and it goes back. Any other missing file
// is not guessed at: the answer names the newest backup and what to do.
const common = `param($req, $payload)
$ErrorActionPreference = 'Stop'
function Out-Result($o, [byte[]]$data) {
  $out = [Console]::OpenStandardOutput()
  $head = [Text.Encoding]::UTF8.GetBytes(($o | ConvertTo-Json -Compress) + [char]10)
  $out.Write($head, 0, $head.Length)
  if ($data) { $out.Write($data, 0, $data.Length) }
  $out.Flush()
}
function Get-Sha256([byte[]]$b) { $h = New-Object Security.Cryptography.SHA256CryptoServiceProvider; try { [BitConverter]::ToString($h.ComputeHash($b)).Replace('-', '').ToLowerInvariant() } finally { $h.Dispose() } }
function Compress([byte[]]$b) { $m = New-Object IO.MemoryStream; $z = New-Object IO.Compression.GZipStream($m, [IO.Compression.CompressionMode]::Compress); $z.Write($b, 0, $b.Length); $z.Close(); return ,$m.ToArray() }
function Fail($code, $msg, $cur, $data, $applied, $win32) { Out-Result @{ error = @{ code = $code; message = $msg; current_sha256 = $cur; applied = [bool]$applied; win32 = [int]$win32; path = $path } } $data; exit 1 }
function Out-Data([byte[]]$b) { if ($req.gzip) { return ,(Compress $b) }; return ,$b }
function Get-Inner($e) { while ($e.InnerException) { $e = $e.InnerException }; return $e }
function Get-Win32($e) { if ((($e.HResult -shr 16) -band 0x1FFF) -eq 7) { return $e.HResult -band 0xFFFF }; return 0 }
function Out-Fail($e, $applied) {
  $e = Get-Inner $e
  $w = Get-Win32 $e
  $code = 'error'
  if ($e -is [IO.FileNotFoundException] -or $e -is [IO.DirectoryNotFoundException]) { $code = 'not_found' }
  elseif ($e -is [UnauthorizedAccessException] -or $w -eq 5) { $code = 'access_denied' }
  elseif ($e -is [IO.IOException]) { $code = 'io' }
  Fail $code $e.Message $null $null $applied $w
}
function Get-WriteLock { New-Object Threading.Mutex($false, ('Global\tf-iis-' + (Get-Sha256 ([Text.Encoding]::UTF8.GetBytes($path.ToLowerInvariant()))))) }
function Wait-WriteLock($lock) {
  try { if (-not $lock.WaitOne(60000)) { Fail 'busy' 'another Terraform write held the lock for 60 s' } } catch [Threading.AbandonedMutexException] { }
}
function Test-Missing($p) {
  try { [void][IO.File]::GetAttributes($p); return $false } catch { return ((Get-Inner $_.Exception) -is [IO.FileNotFoundException]) }
}
function Repair-Live {
  if (-not (Test-Missing $path)) { return }
  $baks = @(Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-backup-*') | Sort-Object Name -Descending)
  $tmps = @(Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-*.tmp'))
  if ($baks.Count -eq 0 -and $tmps.Count -eq 0) { return }
  if ($baks.Count -gt 0 -and $baks[0].Name -match '-([0-9a-f]{32})$') {
    $id = $Matches[1]
    if (@($tmps | Where-Object { $_.Name -like ($name + '.tf-' + $id + '*.tmp') }).Count -gt 0) {
      [IO.File]::Move($baks[0].FullName, $path)
      return
    }
  }
  $newest = '(none)'; if ($baks.Count -gt 0) { $newest = $baks[0].FullName }
  Fail 'live_missing' ($path + ' is missing and no interrupted Terraform write explains it; the newest backup is ' + $newest + ': check it, then Copy-Item it to ' + $path)
}
if (-not [Environment]::Is64BitProcess) { Fail 'not_64bit' 'PowerShell is 32-bit; applicationHost.config is visible only to 64-bit processes' }
$path = [Environment]::ExpandEnvironmentVariables($req.path)
$dir = [IO.Path]::GetDirectoryName($path); $name = [IO.Path]::GetFileName($path)
`

// ReadScript answers ReadResult and the file as payload, gzip-compressed
// when asked: an applicationHost.config shrinks to about a tenth. With
// wait_writers (asked after a write whose answer was lost) it first lets a
// write still running finish: it takes the write lock. It takes it too when
// the live file is missing, to repair what an interrupted write left
// (Repair-Live) without racing a write in progress. The script travels with
// every read, so its comments live here.
const ReadScript = common + `$own = $false
try {
  if ($req.wait_writers -or -not [IO.File]::Exists($path)) {
    $lock = Get-WriteLock
    Wait-WriteLock $lock; $own = $true
    Repair-Live
    $lock.ReleaseMutex(); $own = $false
  }
  $bytes = [IO.File]::ReadAllBytes($path)
  Out-Result @{ path = $path; sha256 = (Get-Sha256 $bytes); size = $bytes.Length; gzip = [bool]$req.gzip } (Out-Data $bytes)
} catch { Out-Fail $_.Exception $false } finally { if ($own) { $lock.ReleaseMutex() } }
`

// WriteScript replaces the file with the payload, answering WriteResult.
// Step by step, so that the live file is always the old file or the new one,
// whatever fails and wherever the process dies:
//  0. writers of one file on one host take turns through a named mutex
//     (Windows releases it when a process dies, and the next WaitOne throws
//     AbandonedMutexException while granting it: Mutex class documentation;
//     a Global\ name needs no privilege, "Kernel Object Namespaces"), taken
//     inside the try so that every failure is answered;
//  1. Repair-Live puts back what an interrupted write left (see common);
//     only then are leftovers of interrupted runs (our *.tf-*.tmp files)
//     deleted;
//  2. the payload's SHA-256 is checked (a damaged upload stops here);
//  3. it is written to a temporary file beside the target and read back;
//  4. the live file's SHA-256 must still be the one the provider read
//     (otherwise "conflict": someone else wrote; the answer carries the
//     file as it is now, so the provider re-applies without another read);
//  5. Invoke-Swap: [IO.File]::Replace (Win32 ReplaceFileW) swaps the files,
//     moving the old file to the backup name; ReplaceFile keeps the target's
//     DACL, not its owner. Its documented failures (learn.microsoft.com/
//     windows/win32/api/winbase/nf-winbase-replacefilew) leave different
//     states: 1175 ERROR_UNABLE_TO_REMOVE_REPLACED and 1176
//     ERROR_UNABLE_TO_MOVE_REPLACEMENT (with a backup name) leave both files
//     under their names; 1177 ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 leaves the
//     live file under the backup name and the new content under its
//     temporary name, the live path empty. Restore-Live does not trust the
//     code: it looks, and moves the backup back to the live path before
//     anything is deleted. A sharing violation (32: an antivirus scanning the
//     temporary file, which ReplaceFile opens without sharing) is retried
//     five times inside the lock;
//  6. the backup, exactly what was replaced, is hashed: if another writer
//     slipped in between 4 and 5, their file is put back and the answer is
//     "conflict", so no one's edit is lost;
//  7. Test-Iis: IIS must accept the new file: appcmd.exe lists the request
//     filtering section at every location the batch touched, in appcmd's
//     path form (IIS parses the configuration to do so). appcmd runs with
//     $ErrorActionPreference 'Continue': Windows PowerShell 5.1 turns a
//     native command's stderr under 2>&1 into a terminating error when it is
//     'Stop' (PowerShell issue #3996, changed only in PowerShell 7 by PR
//     #13361); it is judged by $LASTEXITCODE: anything but 0 is a refusal
//     (appcmd's errorlevels are winerror.h's codes, "Use AppCmd.exe to
//     Configure IIS at Startup", learn.microsoft.com). If it fails, the
//     backup is put back (Undo-Swap) and the answer is "rejected", or "rejected_before"
//     when IIS refuses the file put back as well (Undo-Reject: the fault
//     predates the edit, so applying again cannot help);
//  8. anything else that fails after the swap rolls back too and answers
//     "rolled_back"; if the rollback itself fails, the new file stays (never
//     no file) and the answer is "rollback_failed", applied;
//  9. backups beyond keep_backups are deleted, oldest first; from here on
//     nothing fails the write: it is in place and IIS accepted it.
//
// "Missing" is Test-Missing (GetAttributes throws FileNotFoundException),
// not File.Exists, which answers false for a file the account may not see
// (File.Exists documentation): a filtered token must read as access denied,
// never as a missing file to be restored.
const WriteScript = common + `function Expand([byte[]]$b) { $z = New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(,$b)), [IO.Compression.CompressionMode]::Decompress); $m = New-Object IO.MemoryStream; $z.CopyTo($m); $z.Close(); return ,$m.ToArray() }
function Remove-Temp {
  if ($tmp -and [IO.File]::Exists($tmp)) { [IO.File]::Delete($tmp) }
}
function Restore-Live {
  if (-not (Test-Missing $path)) { return }
  $from = $null
  if ($bak -and [IO.File]::Exists($bak)) { $from = $bak } elseif ($undo -and [IO.File]::Exists($undo)) { $from = $undo }
  if (-not $from) { Fail 'live_missing' ($path + ' is missing after a failed replace and no file of this write is left to put back: restore it from the newest ' + $name + '.tf-backup-* file') }
  try { [IO.File]::Move($from, $path); return } catch { $e = Get-Inner $_.Exception }
  Fail 'live_missing' ($path + ' is missing after a failed replace and moving ' + $from + ' back failed (' + $e.Message + '): rename ' + $from + ' to ' + $path + ' on the host') $null $null $false (Get-Win32 $e)
}
function Invoke-Swap {
  for ($i = 1; ; $i++) {
    try { [IO.File]::Replace($tmp, $path, $bak); return } catch { $e = Get-Inner $_.Exception }
    $w = Get-Win32 $e
    Restore-Live
    if ((Get-Sha256 ([IO.File]::ReadAllBytes($path))) -eq $req.content_sha256) { return }
    if ($w -eq 32 -and $i -lt 5) { Start-Sleep -Milliseconds (200 * $i); continue }
    Remove-Temp
    if ($w -eq 5) { Fail 'access_denied' $e.Message $null $null $false $w }
    Fail 'replace_failed' ('ReplaceFile failed with Win32 error ' + $w + ' (' + $e.Message + ') after ' + $i + ' attempt(s); the previous file is in place') $null $null $false $w
  }
}
function Undo-Swap {
  $undo = Join-Path $dir ($name + '.tf-' + $id + '.undo.tmp')
  $why = $null
  try { [IO.File]::Replace($bak, $path, $undo) } catch {
    $why = 'putting the previous file back failed (' + (Get-Inner $_.Exception).Message + ')'
    Restore-Live
  }
  if ((Get-Sha256 ([IO.File]::ReadAllBytes($path))) -eq $req.content_sha256) { return ($why + '; the new file stays; the previous one is ' + $bak) }
  [IO.File]::Delete($undo)
  return $null
}
function Test-Iis {
  $appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'
  if (-not [IO.File]::Exists($appcmd)) { return ($appcmd + ' was not found: is IIS installed?') }
  foreach ($p in @($req.validate_paths)) {
    $ErrorActionPreference = 'Continue'
    $o = & $appcmd list config $p '-section:system.webServer/security/requestFiltering' 2>&1
    $x = $LASTEXITCODE
    $ErrorActionPreference = 'Stop'
    if ($x -ne 0) { return ('IIS rejected the new file (appcmd list config "' + $p + '" exited with ' + $x + '): ' + (($o | ForEach-Object { "$_" }) -join ' ')) }
  }
  return $null
}
function Undo-Reject($why) {
  $undoErr = Undo-Swap
  if ($undoErr) { Fail 'rollback_failed' ($why + '; ' + $undoErr) $null $null $true }
  if (Test-Iis) { Fail 'rejected_before' ($why + '; the previous file was put back, and IIS rejects it too: the fault was in the file before this change') $null $null $false }
  Fail 'rejected' ($why + '; the previous file was put back') $null $null $false
}
function Undo-Fail($code, $why, $cur, $data) {
  $undoErr = Undo-Swap
  if ($undoErr) { Fail 'rollback_failed' ($why + '; ' + $undoErr) $null $null $true }
  Fail $code ($why + '; the previous file was put back') $cur $data $false
}
$tmp = $null; $bak = $null; $undo = $null; $id = $null; $swapped = $false; $own = $false
try {
  $lock = Get-WriteLock
  Wait-WriteLock $lock; $own = $true
  Repair-Live
  foreach ($f in @(Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-*.tmp'))) { try { [IO.File]::Delete($f.FullName) } catch { } }
  $bytes = [Convert]::FromBase64String($payload)
  if ($req.gzip) { $bytes = Expand $bytes }
  if ((Get-Sha256 $bytes) -ne $req.content_sha256) { Fail 'upload_corrupt' 'upload does not match its SHA-256' }
  $id = [Guid]::NewGuid().ToString('N')
  $tmp = Join-Path $dir ($name + '.tf-' + $id + '.tmp')
  [IO.File]::WriteAllBytes($tmp, $bytes)
  if ((Get-Sha256 ([IO.File]::ReadAllBytes($tmp))) -ne $req.content_sha256) { Remove-Temp; Fail 'upload_corrupt' 'temporary file does not match the upload' }
  $curBytes = [IO.File]::ReadAllBytes($path); $cur = Get-Sha256 $curBytes
  if ($cur -ne $req.expected_sha256) { Remove-Temp; Fail 'conflict' 'the file changed since it was read' $cur (Out-Data $curBytes) }
  $bak = Join-Path $dir ($name + '.tf-backup-' + [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffffff') + 'Z-' + $id)
  Invoke-Swap
  $swapped = $true; $tmp = $null
  $oldBytes = [IO.File]::ReadAllBytes($bak); $old = Get-Sha256 $oldBytes
  if ($old -ne $req.expected_sha256) { Undo-Fail 'conflict' 'another writer replaced the file during the write' $old (Out-Data $oldBytes) }
  $why = Test-Iis
  if ($why) { Undo-Reject $why }
  $swapped = $false
  try { foreach ($f in @(Get-ChildItem -LiteralPath $dir -Filter ($name + '.tf-backup-*') | Sort-Object Name -Descending | Select-Object -Skip ([int]$req.keep_backups))) { try { [IO.File]::Delete($f.FullName) } catch { } } } catch { }
  $final = $req.content_sha256
  try { $final = Get-Sha256 ([IO.File]::ReadAllBytes($path)) } catch { }
  Out-Result @{ sha256 = $final; backup = $bak } $null
} catch {
  $e = Get-Inner $_.Exception
  if ($swapped) { Undo-Fail 'rolled_back' ('after the replace: ' + $e.Message) $null $null }
  Restore-Live
  Remove-Temp
  Out-Fail $e $false
} finally { if ($own) { $lock.ReleaseMutex() } }
`
