# Pester 5 tests of ReadScript (internal/remotefile/scripts.go): what it
# answers for a file it can read, and the error code of each way reading
# fails. Run: Invoke-Pester -Path tests/pester (see TestHelpers.ps1).

BeforeDiscovery {
    # -Skip is decided at discovery, before BeforeAll runs.
    $OnWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT
}

Describe 'ReadScript' {
    # TestDrive belongs to the Describe block.
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $scripts = Export-RemoteScripts (Join-Path $TestDrive 'scripts')
        $ReadScript = Join-Path $scripts 'ReadScript.ps1'
        $Config = "<?xml version=`"1.0`" encoding=`"UTF-8`"?>`r`n<configuration>`r`n  <!-- read test -->`r`n</configuration>`r`n"
    }

    BeforeEach {
        Mock Out-Result { $global:IisPesterOutcome = @{ Result = $o; Data = $data } }
    }

    It 'answers the bytes of the file, their SHA-256 and size' {
        $path = New-LiveFile $Config
        $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false })
        $r.ExitCode | Should -Be 0
        $r.Stray | Should -BeNullOrEmpty
        $want = [IO.File]::ReadAllBytes($path)
        $r.Result.sha256 | Should -Be (Get-Sha256Hex $want)
        $r.Result.size | Should -Be $want.Length
        $r.Result.path | Should -Be $path
        [Convert]::ToBase64String($r.Data) | Should -Be ([Convert]::ToBase64String($want))
    }

    It 'compresses the bytes when the request asks for gzip' {
        $path = New-LiveFile $Config
        $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $true })
        $r.ExitCode | Should -Be 0
        $r.Result.gzip | Should -BeTrue
        [Convert]::ToBase64String((ConvertFrom-Gzip $r.Data)) | Should -Be ([Convert]::ToBase64String([IO.File]::ReadAllBytes($path)))
    }

    It 'expands environment variables in the path' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Config
        $env:IIS_PESTER_DIR = Split-Path -Parent $path
        try {
            $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = '%IIS_PESTER_DIR%\applicationHost.config'; gzip = $false })
        } finally { Remove-Item Env:\IIS_PESTER_DIR }
        $r.ExitCode | Should -Be 0
        $r.Result.path | Should -Be ((Split-Path -Parent $path) + '\applicationHost.config')
    }

    It 'answers not_found for a file that does not exist' {
        $path = Join-Path (Split-Path -Parent (New-LiveFile $Config)) 'missing.config'
        $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false })
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'not_found'
    }

    It 'answers not_found for a folder that does not exist' {
        $path = Join-Path $TestDrive 'no-such-folder\applicationHost.config'
        $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false })
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'not_found'
    }

    It 'answers access_denied when the account may not read the file' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Config
        $acl = Get-Acl -LiteralPath $path
        $me = [Security.Principal.WindowsIdentity]::GetCurrent().User
        $deny = New-Object Security.AccessControl.FileSystemAccessRule($me, 'Read', 'Deny')
        $acl.AddAccessRule($deny)
        Set-Acl -LiteralPath $path -AclObject $acl
        try {
            $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false })
        } finally {
            $acl.RemoveAccessRule($deny) | Out-Null
            Set-Acl -LiteralPath $path -AclObject $acl
        }
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'access_denied'
    }

    It 'answers io when another process holds the file without sharing it' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Config
        $held = [IO.File]::Open($path, 'Open', 'ReadWrite', 'None')
        try {
            $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false })
        } finally { $held.Dispose() }
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'io'
        $r.Result.error.message | Should -Not -BeNullOrEmpty
    }

    It 'waits for a write in progress when asked (wait_writers)' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Config
        $job = Start-LockHolder $path 3
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $r = Invoke-RemoteScript $ReadScript ([pscustomobject]@{ path = $path; gzip = $false; wait_writers = $true })
            $watch.Stop()
        } finally { $job | Wait-Job | Remove-Job }
        $r.ExitCode | Should -Be 0
        $r.Result.sha256 | Should -Be (Get-Sha256Hex ([IO.File]::ReadAllBytes($path)))
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 1
    }
}
