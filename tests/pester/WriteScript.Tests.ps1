# Pester 5 tests of WriteScript (internal/remotefile/scripts.go): one It per
# failure branch that real files or a mocked cmdlet can reach, each checking
# the error code and that the live file is still the old bytes or the new
# ones; and the success path with its backup. Run: Invoke-Pester -Path
# tests/pester (see TestHelpers.ps1). The busy case waits the script's full
# 60 s for the lock: -ExcludeTagFilter Slow leaves it out.

BeforeDiscovery {
    # -Skip is decided at discovery, before BeforeAll runs.
    $OnWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT
}

Describe 'WriteScript' {
    # TestDrive belongs to the Describe block.
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $scripts = Export-RemoteScripts (Join-Path $TestDrive 'scripts')
        $WriteScript = Join-Path $scripts 'WriteScript.ps1'
        $Old = "<?xml version=`"1.0`" encoding=`"UTF-8`"?>`r`n<configuration>`r`n  <system.webServer />`r`n</configuration>`r`n"
        $New = "<?xml version=`"1.0`" encoding=`"UTF-8`"?>`r`n<configuration>`r`n  <system.webServer><security /></system.webServer>`r`n</configuration>`r`n"
        $Theirs = "<?xml version=`"1.0`" encoding=`"UTF-8`"?>`r`n<configuration>`r`n  <!-- IIS Manager -->`r`n</configuration>`r`n"
        # IIS accepts anything: the scripts' validation reaches appcmd.exe
        # through Join-Path, mocked in BeforeEach to this stand-in.
        $AppcmdOK = New-FakeAppcmd 0 'CONFIG "MACHINE/WEBROOT/APPHOST" (section:system.webServer/security/requestFiltering)'
        $Rejection = 'ERROR ( message:Configuration error Filename: applicationHost.config Line Number: 3 Description: Configuration file is not well-formed XML )'

        function Get-Leftovers([string]$Path, [string]$Pattern) {
            @(Get-ChildItem -LiteralPath (Split-Path -Parent $Path) -Filter ((Split-Path -Leaf $Path) + $Pattern))
        }
    }

    BeforeEach {
        # Mock bodies read globals: they run in Pester's scopes, not the It's.
        Mock Out-Result { $global:IisPesterOutcome = @{ Result = $o; Data = $data } }
        $global:IisPesterAppcmd = $AppcmdOK
        Mock Join-Path -ParameterFilter { $ChildPath -eq 'System32\inetsrv\appcmd.exe' } -MockWith { $global:IisPesterAppcmd }
    }

    AfterAll {
        Remove-Variable -Scope Global -Name @('IisPesterOutcome', 'IisPesterAppcmd', 'IisPesterLive', 'IisPesterTheirs') -ErrorAction SilentlyContinue
    }

    It 'replaces the file and keeps the old one as a backup' {
        $path = New-LiveFile $Old
        $w = New-WriteRequest $path $New $Old
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 0
        $r.Stray | Should -BeNullOrEmpty
        Get-Text $path | Should -BeExactly $New
        $r.Result.sha256 | Should -Be (Get-Sha256Hex ([IO.File]::ReadAllBytes($path)))
        Get-Text $r.Result.backup | Should -BeExactly $Old
        Get-Leftovers $path '.tf-*.tmp' | Should -BeNullOrEmpty
    }

    It 'expands a gzip payload' {
        $path = New-LiveFile $Old
        $w = New-WriteRequest $path $New $Old -Gzip
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 0
        Get-Text $path | Should -BeExactly $New
    }

    It 'removes the temporary files of interrupted runs' {
        $path = New-LiveFile $Old
        $leftover = $path + '.tf-0123456789abcdef0123456789abcdef.tmp'
        [IO.File]::WriteAllText($leftover, 'half a file')
        $w = New-WriteRequest $path $New $Old
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 0
        Test-Path -LiteralPath $leftover | Should -BeFalse
    }

    It 'keeps only the newest keep_backups backups' {
        $path = New-LiveFile $Old
        foreach ($stamp in '20200101T0000000000000Z', '20210101T0000000000000Z', '20220101T0000000000000Z') {
            [IO.File]::WriteAllText($path + '.tf-backup-' + $stamp, $stamp)
        }
        $w = New-WriteRequest $path $New $Old -KeepBackups 2
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 0
        $kept = Get-Leftovers $path '.tf-backup-*' | ForEach-Object { $_.FullName } | Sort-Object
        $kept | Should -HaveCount 2
        $kept | Should -Contain ($path + '.tf-backup-20220101T0000000000000Z')
        $kept | Should -Contain $r.Result.backup
    }

    It 'answers upload_corrupt when the payload does not match its SHA-256' {
        $path = New-LiveFile $Old
        $w = New-WriteRequest $path $New $Old
        $w.Request.content_sha256 = Get-Sha256Hex ([Text.Encoding]::UTF8.GetBytes('something else'))
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'upload_corrupt'
        Get-Text $path | Should -BeExactly $Old
        Get-Leftovers $path '.tf-*.tmp' | Should -BeNullOrEmpty
    }

    It 'answers conflict, with the file as it is, when it changed since it was read' {
        $path = New-LiveFile $Theirs
        $w = New-WriteRequest $path $New $Old
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'conflict'
        $r.Result.error.current_sha256 | Should -Be (Get-Sha256Hex ([IO.File]::ReadAllBytes($path)))
        [Text.Encoding]::UTF8.GetString($r.Data) | Should -BeExactly $Theirs
        Get-Text $path | Should -BeExactly $Theirs
        Get-Leftovers $path '.tf-*.tmp' | Should -BeNullOrEmpty
        Get-Leftovers $path '.tf-backup-*' | Should -BeNullOrEmpty
    }

    It 'puts back a write that slipped in between its check and the swap, and answers conflict' {
        $path = New-LiveFile $Old
        $theirBytes = [Text.Encoding]::UTF8.GetBytes($Theirs)
        $global:IisPesterLive = $path
        $global:IisPesterTheirs = $theirBytes
        # The backup's name is made right before [IO.File]::Replace: another
        # writer replaces the live file at that moment.
        Mock Join-Path -ParameterFilter { $ChildPath -like '*.tf-backup-*' } -MockWith {
            [IO.File]::WriteAllBytes($global:IisPesterLive, $global:IisPesterTheirs)
            [IO.Path]::Combine([string]$Path[0], $ChildPath)
        }
        $w = New-WriteRequest $path $New $Old
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'conflict'
        $r.Result.error.current_sha256 | Should -Be (Get-Sha256Hex $theirBytes)
        Get-Text $path | Should -BeExactly $Theirs
    }

    It 'puts the previous file back and answers rejected when IIS rejects the new one' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Old
        $global:IisPesterAppcmd = New-FakeAppcmd 13 $Rejection
        $w = New-WriteRequest $path $New $Old
        $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'rejected'
        $r.Result.error.message | Should -Match 'not well-formed XML'
        $r.Result.error.message | Should -Match 'MACHINE/WEBROOT/APPHOST'
        Get-Text $path | Should -BeExactly $Old
    }

    It 'answers access_denied and leaves the file when it cannot be replaced' -Skip:(-not $OnWindows) {
        # File.Replace: UnauthorizedAccessException when the destination is
        # read-only (learn.microsoft.com, System.IO.File.Replace).
        $path = New-LiveFile $Old
        Set-ItemProperty -LiteralPath $path -Name IsReadOnly -Value $true
        try {
            $w = New-WriteRequest $path $New $Old
            $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        } finally { Set-ItemProperty -LiteralPath $path -Name IsReadOnly -Value $false }
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'access_denied'
        Get-Text $path | Should -BeExactly $Old
        Get-Leftovers $path '.tf-*.tmp' | Should -BeNullOrEmpty
    }

    It 'answers replace_failed and leaves the file when another process holds it without delete sharing' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Old
        # Readable by others, but not deletable or renamable: what an
        # antivirus scanner or a backup agent holding the file does.
        # ReplaceFile needs DELETE access to the replaced file and fails
        # with ERROR_UNABLE_TO_REMOVE_REPLACED (1175) or a sharing violation
        # (32) (learn.microsoft.com, ReplaceFileW); Invoke-Swap answers
        # either, once its retries are spent, as replace_failed.
        $held = [IO.File]::Open($path, 'Open', 'Read', 'Read')
        try {
            $w = New-WriteRequest $path $New $Old
            $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        } finally { $held.Dispose() }
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'replace_failed'
        $r.Result.error.win32 | Should -BeIn @(32, 1175)
        Get-Text $path | Should -BeExactly $Old
        Get-Leftovers $path '.tf-*.tmp' | Should -BeNullOrEmpty
    }

    It 'answers busy when another write holds the lock for 60 s' -Tag 'Slow' -Skip:(-not $OnWindows) {
        $path = New-LiveFile $Old
        $job = Start-LockHolder $path 75
        try {
            $w = New-WriteRequest $path $New $Old
            $r = Invoke-RemoteScript $WriteScript $w.Request $w.Payload
        } finally { $job | Stop-Job -PassThru | Remove-Job }
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'busy'
        Get-Text $path | Should -BeExactly $Old
    }
}
