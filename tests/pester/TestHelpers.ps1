# Helpers of the Pester (v5) tests of the provider's remote scripts. The
# tests dot-source this file in BeforeAll.
#
# The scripts are Go constants (internal/remotefile/scripts.go). They are
# run here as the loader runs them on a DP: a script file invoked with the
# request object and the base64 payload. They act on real files in Pester's
# TestDrive. What cannot be made to fail with real files is reached by
# mocking the cmdlets the scripts call (Join-Path, Get-ChildItem); the .NET
# calls ([IO.File], the mutex) cannot be mocked and are made to fail
# through the file system (ACLs, read-only files, open handles).
#
# The scripts answer through their own function Out-Result, which writes to
# the process's standard output stream (bypassing PowerShell's pipeline);
# the tests mock it and keep what it was given in $global:IisPesterOutcome.

$script:OnWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT

# Export-RemoteScripts writes the scripts to $Destination with
# `go run ./tools/psexport` from the repository root, unless
# $env:IIS_PS_SCRIPTS names a folder that already holds them, and returns
# the folder.
function Export-RemoteScripts([string]$Destination) {
    if ($env:IIS_PS_SCRIPTS) { return $env:IIS_PS_SCRIPTS }
    $root = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..'))
    Push-Location -LiteralPath $root
    try {
        & go run ./tools/psexport $Destination
        if ($LASTEXITCODE -ne 0) { throw "go run ./tools/psexport exited $LASTEXITCODE" }
    } finally { Pop-Location }
    return $Destination
}

# Out-Result is the signature of the scripts' own Out-Result, for Mock.
function Out-Result($o, [byte[]]$data) { }

# Get-Sha256Hex is the lower-case hex SHA-256 the scripts compare, with a
# FIPS-validated implementation, so the tests also run with the FIPS policy on.
function Get-Sha256Hex([byte[]]$Bytes) {
    $h = New-Object Security.Cryptography.SHA256CryptoServiceProvider
    try { return [BitConverter]::ToString($h.ComputeHash($Bytes)).Replace('-', '').ToLowerInvariant() }
    finally { $h.Dispose() }
}

# Get-WriteLockName is the name of the scripts' write lock for a path.
function Get-WriteLockName([string]$Path) {
    'Global\tf-iis-' + (Get-Sha256Hex ([Text.Encoding]::UTF8.GetBytes($Path.ToLowerInvariant())))
}

# New-LiveFile creates a file holding $Text (UTF-8) in a new folder of the
# TestDrive and returns its path.
function New-LiveFile([string]$Text) {
    $dir = Join-Path $TestDrive ([Guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $dir
    $path = Join-Path $dir 'applicationHost.config'
    [IO.File]::WriteAllBytes($path, [Text.Encoding]::UTF8.GetBytes($Text))
    return $path
}

# ConvertTo-Gzip compresses bytes as the provider does before a write.
function ConvertTo-Gzip([byte[]]$Bytes) {
    $m = New-Object IO.MemoryStream
    $z = New-Object IO.Compression.GZipStream($m, [IO.Compression.CompressionMode]::Compress)
    $z.Write($Bytes, 0, $Bytes.Length)
    $z.Close()
    return , $m.ToArray()
}

# ConvertFrom-Gzip expands what a script answered with gzip asked for.
function ConvertFrom-Gzip([byte[]]$Bytes) {
    $z = New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(, $Bytes)), [IO.Compression.CompressionMode]::Decompress)
    $m = New-Object IO.MemoryStream
    $z.CopyTo($m)
    $z.Close()
    return , $m.ToArray()
}

# New-WriteRequest is the request of a write of $NewText over the file at
# $Path, which the provider read as $ExpectedText; -Gzip compresses the
# payload. It returns @{ Request; Payload }.
function New-WriteRequest([string]$Path, [string]$NewText, [string]$ExpectedText, [int]$KeepBackups = 5, [switch]$Gzip) {
    $new = [Text.Encoding]::UTF8.GetBytes($NewText)
    $sent = $new
    if ($Gzip) { $sent = ConvertTo-Gzip $new }
    $req = [pscustomobject]@{
        path            = $Path
        gzip            = [bool]$Gzip
        content_sha256  = Get-Sha256Hex $new
        expected_sha256 = Get-Sha256Hex ([Text.Encoding]::UTF8.GetBytes($ExpectedText))
        keep_backups    = $KeepBackups
        validate_paths  = @('MACHINE/WEBROOT/APPHOST')
    }
    return @{ Request = $req; Payload = [Convert]::ToBase64String($sent) }
}

# Invoke-RemoteScript runs the script file at $Path with $Request and
# $Payload and returns its exit code, what it gave Out-Result (Result, Data)
# and any stray pipeline output (which would corrupt the answer on a DP).
function Invoke-RemoteScript([string]$Path, $Request, [string]$Payload = '') {
    $global:IisPesterOutcome = $null
    $global:LASTEXITCODE = 0
    $stray = @(& $Path $Request $Payload)
    $o = $global:IisPesterOutcome
    $result = $null; $data = $null
    if ($o) { $result = $o.Result; $data = $o.Data }
    return [pscustomobject]@{ ExitCode = $global:LASTEXITCODE; Result = $result; Data = $data; Stray = $stray }
}

# Get-Text reads a file as UTF-8 text.
function Get-Text([string]$Path) { [Text.Encoding]::UTF8.GetString([IO.File]::ReadAllBytes($Path)) }

# New-FakeAppcmd writes a stand-in for appcmd.exe that prints $Output and
# exits with $ExitCode, and returns its path.
function New-FakeAppcmd([int]$ExitCode, [string]$Output) {
    $path = Join-Path $TestDrive ('appcmd-' + [Guid]::NewGuid().ToString('N') + '.cmd')
    $lines = @('@echo off')
    if ($Output) { $lines += ('echo ' + $Output) }
    $lines += ('exit /b ' + $ExitCode)
    Set-Content -LiteralPath $path -Value $lines -Encoding Ascii
    return $path
}

# Start-LockHolder holds the write lock of $Path from another process for
# $Seconds and returns the job once the lock is taken.
function Start-LockHolder([string]$Path, [int]$Seconds) {
    $name = Get-WriteLockName $Path
    $ready = Join-Path $TestDrive ('locked-' + [Guid]::NewGuid().ToString('N'))
    $job = Start-Job -ArgumentList $name, $ready, $Seconds -ScriptBlock {
        param($name, $ready, $seconds)
        $m = New-Object Threading.Mutex($false, $name)
        $null = $m.WaitOne()
        Set-Content -LiteralPath $ready -Value 'locked'
        Start-Sleep -Seconds $seconds
        $m.ReleaseMutex()
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path -LiteralPath $ready)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw 'the lock holder did not take the lock within 60 s' }
        Start-Sleep -Milliseconds 100
    }
    return $job
}
