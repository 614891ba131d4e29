# Pester 5 tests of ContentScript (internal/remotefile/content.go): the
# listing of a content library laid out as a DP's (PkgLib, DataLib with one
# <file>.INI per original file), restricted by content IDs, continued over
# several commands, and each way listing fails. The library is built in
# TestDrive and given through the request's `library` (the provider leaves
# it unset and the script reads HKLM\SOFTWARE\Microsoft\SMS\DP).
# Run: Invoke-Pester -Path tests/pester (see TestHelpers.ps1).

BeforeDiscovery {
    $OnWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT
    $IsDP = $OnWindows -and (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\SMS\DP')
}

Describe 'ContentScript' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $scripts = Export-RemoteScripts (Join-Path $TestDrive 'scripts')
        $ContentScript = Join-Path $scripts 'ContentScript.ps1'

        # New-ContentLibrary builds a library in a new TestDrive folder:
        # $Contents maps a content folder (ContentID.Version) to its files,
        # $Packages a package ID to the keys of its [Packages] section.
        function New-ContentLibrary([hashtable]$Contents, [hashtable]$Packages) {
            $lib = Join-Path $TestDrive ('SCCMContentLib-' + [Guid]::NewGuid().ToString('N'))
            foreach ($sub in 'PkgLib', 'DataLib', 'FileLib') { $null = New-Item -ItemType Directory -Path (Join-Path $lib $sub) }
            foreach ($c in $Contents.Keys) {
                Set-Content -LiteralPath (Join-Path $lib ('DataLib\' + $c + '.INI')) -Value '[Content]' -Encoding Ascii
                foreach ($f in $Contents[$c]) {
                    $p = Join-Path $lib ('DataLib\' + $c + '\' + $f + '.INI')
                    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $p)
                    Set-Content -LiteralPath $p -Value '[File]' -Encoding Ascii
                }
            }
            foreach ($pkg in $Packages.Keys) {
                $lines = @('[Packages]') + @($Packages[$pkg] | ForEach-Object { $_ + '=' })
                Set-Content -LiteralPath (Join-Path $lib ('PkgLib\' + $pkg + '.INI')) -Value $lines -Encoding Unicode
            }
            return $lib
        }

        # Get-Records splits the listing into its TAB-separated records.
        function Get-Records([byte[]]$Data, [bool]$Gzip) {
            if ($Gzip) { $Data = ConvertFrom-Gzip $Data }
            $text = [Text.Encoding]::UTF8.GetString($Data)
            return @($text.Split([char]10) | Where-Object { $_ } | ForEach-Object { , $_.Split([char]9) })
        }

        function New-ContentRequest([string]$Library, [string[]]$Ids = @(), [bool]$Gzip = $false, [long]$MaxBytes = 0) {
            [pscustomobject]@{ path = 'HKLM\SOFTWARE\Microsoft\SMS\DP\ContentLibraryPath'; library = $Library; content_ids = $Ids; gzip = $Gzip; time_budget_ms = 30000; max_bytes = $MaxBytes }
        }

        $Standard = @{
            'PKG00012.1'                                     = @('Tools\OSDResults\OSDResults.exe', 'Tools\OSDResults\OSDResults.exe.config')
            'Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1' = @('WebApp\web.config', 'WebApp\bin\WebApp.dll', 'install.cmd')
        }
        $StandardPackages = @{ 'PKG00012' = @('PKG00012'); 'PKG00020' = @('Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1') }
    }

    BeforeEach {
        Mock Out-Result { $global:IisPesterOutcome = @{ Result = $o; Data = $data } }
    }

    It 'lists every content folder and the relative path of each file, without .INI, and the PkgLib keys' {
        $lib = New-ContentLibrary $Standard $StandardPackages
        foreach ($gz in $false, $true) {
            $r = Invoke-RemoteScript $ContentScript (New-ContentRequest $lib -Gzip $gz)
            $r.ExitCode | Should -Be 0
            $r.Stray | Should -BeNullOrEmpty
            $r.Result.contents | Should -Be 2
            $r.Result.files | Should -Be 5
            $r.Result.library | Should -Be $lib
            $recs = Get-Records $r.Data $gz
            $files = @($recs | Where-Object { $_[0] -eq 'F' } | ForEach-Object { $_[1] } | Sort-Object)
            $files | Should -Be @('install.cmd', 'Tools\OSDResults\OSDResults.exe', 'Tools\OSDResults\OSDResults.exe.config', 'WebApp\bin\WebApp.dll', 'WebApp\web.config')
            @($recs | Where-Object { $_[0] -eq 'C' } | ForEach-Object { $_[1] } | Sort-Object) | Should -Be @('Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1', 'PKG00012.1')
            @($recs | Where-Object { $_[0] -eq 'P' } | ForEach-Object { $_[1] + '=' + $_[2] } | Sort-Object) | Should -Be @('PKG00012=PKG00012', 'PKG00020=Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1')
        }
    }

    It 'restricts the scan to a package (through PkgLib) and reports an ID found nowhere' {
        $lib = New-ContentLibrary $Standard $StandardPackages
        $r = Invoke-RemoteScript $ContentScript (New-ContentRequest $lib @('PKG00020', 'PKG00099'))
        $r.ExitCode | Should -Be 0
        $r.Result.contents | Should -Be 1
        @($r.Result.missing) | Should -Be @('PKG00099')
        @(Get-Records $r.Data $false | Where-Object { $_[0] -eq 'C' } | ForEach-Object { $_[1] }) | Should -Be @('Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1')
    }

    It 'leaves the content folders past max_bytes pending for another command' {
        $lib = New-ContentLibrary $Standard $StandardPackages
        $r = Invoke-RemoteScript $ContentScript (New-ContentRequest $lib -MaxBytes 1)
        $r.ExitCode | Should -Be 0
        $r.Result.contents | Should -Be 1
        @($r.Result.pending).Count | Should -Be 1
    }

    It 'answers not_found when the library has no DataLib' {
        $lib = Join-Path $TestDrive ('empty-' + [Guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $lib
        $r = Invoke-RemoteScript $ContentScript (New-ContentRequest $lib)
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'not_found'
        $r.Result.error.message | Should -BeLike '*DataLib*'
    }

    It 'answers not_a_dp on a host without the DP registry key' -Skip:(-not $OnWindows -or $IsDP) {
        $r = Invoke-RemoteScript $ContentScript (New-ContentRequest '')
        $r.ExitCode | Should -Be 1
        $r.Result.error.code | Should -Be 'not_a_dp'
    }

    It 'reports a folder the account may not list, and lists the rest' -Skip:(-not $OnWindows) {
        $lib = New-ContentLibrary $Standard $StandardPackages
        $dir = Join-Path $lib 'DataLib\Content_3f2a6c1e-8b7d-4e0a-9c5b-1d2e3f4a5b6c.1\WebApp'
        $acl = Get-Acl -LiteralPath $dir
        $me = [Security.Principal.WindowsIdentity]::GetCurrent().User
        $deny = New-Object Security.AccessControl.FileSystemAccessRule($me, 'ListDirectory', 'Deny')
        $acl.AddAccessRule($deny)
        Set-Acl -LiteralPath $dir -AclObject $acl
        try {
            $r = Invoke-RemoteScript $ContentScript (New-ContentRequest $lib)
        } finally {
            $acl.RemoveAccessRule($deny) | Out-Null
            Set-Acl -LiteralPath $dir -AclObject $acl
        }
        $r.ExitCode | Should -Be 0
        $r.Result.unreadable | Should -Be 1
        $u = @(Get-Records $r.Data $false | Where-Object { $_[0] -eq 'U' })
        $u.Count | Should -Be 1
        $u[0][1] | Should -Be $dir
        $u[0][2] | Should -Be 'access_denied'
        @(Get-Records $r.Data $false | Where-Object { $_[0] -eq 'F' }).Count | Should -Be 3
    }
}
