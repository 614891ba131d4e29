package dpsim

import "fmt"

// dotnetError is a .NET exception as the scripts see it once Get-Inner has
// unwrapped it: its type, its HResult and its message. The model throws it
// with panic, as PowerShell throws a terminating error, and catches it only
// where the script has a try/catch (see try), so the model's control flow is
// the script's.
type dotnetError struct {
	Type    string // IOException, UnauthorizedAccessException, FileNotFoundException, ...
	HResult int32
	Message string
}

func (e *dotnetError) Error() string { return e.Type + ": " + e.Message }

// win32 returns the Win32 code of the exception as Get-Win32 computes it:
// the low 16 bits of an HRESULT of facility 7 (FACILITY_WIN32).
func (e *dotnetError) win32() int {
	if (e.HResult>>16)&0x1FFF == 7 {
		return int(e.HResult & 0xFFFF)
	}
	return 0
}

// hresultFromWin32 is HRESULT_FROM_WIN32, which .NET Framework's
// __Error.WinIOError gives every IOException it builds from a Win32 code.
func hresultFromWin32(code int) int32 { return hr(0x80070000 | uint32(code&0xFFFF)) }

// The exceptions .NET Framework's __Error.WinIOError throws for the Win32
// codes the model produces, with the messages FormatMessage gives on an
// en-US host.
func errFileNotFound(p string) *dotnetError {
	return &dotnetError{"FileNotFoundException", hresultFromWin32(2), fmt.Sprintf("Could not find file '%s'.", p)}
}

func errDirNotFound(p string) *dotnetError {
	return &dotnetError{"DirectoryNotFoundException", hresultFromWin32(3), fmt.Sprintf("Could not find a part of the path '%s'.", p)}
}

func errAccessDenied(p string) *dotnetError {
	msg := "Access to the path is denied."
	if p != "" {
		msg = fmt.Sprintf("Access to the path '%s' is denied.", p)
	}
	return &dotnetError{"UnauthorizedAccessException", hresultFromWin32(5), msg}
}

func errSharing(p string) *dotnetError {
	return &dotnetError{"IOException", hresultFromWin32(32), fmt.Sprintf("The process cannot access the file '%s' because it is being used by another process.", p)}
}

func errExists() *dotnetError {
	return &dotnetError{"IOException", hresultFromWin32(183), "Cannot create a file when that file already exists.\r\n"}
}

func errDiskFull() *dotnetError {
	return &dotnetError{"IOException", hresultFromWin32(112), "There is not enough space on the disk.\r\n"}
}

// ReplaceFileW's own codes (learn.microsoft.com/windows/win32/api/winbase/
// nf-winbase-replacefilew, Return value) with their system messages.
func errReplace(code int) *dotnetError {
	msg := map[int]string{
		1175: "Unable to remove the file to be replaced.\r\n",
		1176: "Unable to move the replacement file to the file to be replaced. The file to be replaced has retained its original name.\r\n",
		1177: "Unable to move the replacement file to the file to be replaced. The file to be replaced has been renamed using the backup name.\r\n",
	}[code]
	return &dotnetError{"IOException", hresultFromWin32(code), msg}
}

// errFIPS is what SHA256Managed's constructor throws under the FIPS policy
// (SHA256Managed constructor documentation, Exceptions).
func errFIPS() *dotnetError {
	return &dotnetError{"InvalidOperationException", hr(0x80131509), "This implementation is not part of the Windows Platform FIPS validated cryptographic algorithms."}
}

// errNativeStderr is the terminating NativeCommandError Windows PowerShell
// 5.1 raises for a native command's stderr line under 2>&1 when
// $ErrorActionPreference is Stop (PowerShell issue #3996).
func errNativeStderr(line string) *dotnetError {
	return &dotnetError{"RemoteException", hr(0x80131500), line}
}

// errCannotStart is the ApplicationFailedException of a native program
// Windows refuses to start.
func errCannotStart(p string) *dotnetError {
	return &dotnetError{"ApplicationFailedException", hr(0x80131500), fmt.Sprintf("Program '%s' failed to run: Access is denied", p)}
}

// scriptExit is PowerShell's exit: it ends the script through every finally
// block, and no catch sees it.
type scriptExit struct{ code int }

// killed is the process killed from outside (TerminateProcess, a reboot):
// nothing more runs, not even finally blocks, and nothing more is written.
type killed struct{}

// try runs body; a .NET exception it throws goes to catch, as in a
// PowerShell try/catch, and finally (if given) runs last whatever happened,
// except a kill. An exit or a kill passes through the catch.
func try(body func(), catch func(e *dotnetError), finally ...func()) {
	if len(finally) > 0 {
		defer func() {
			p := recover()
			if _, dead := p.(killed); !dead {
				for _, f := range finally {
					f()
				}
			}
			if p != nil {
				panic(p)
			}
		}()
	}
	var caught *dotnetError
	func() {
		defer func() {
			if p := recover(); p != nil {
				e, ok := p.(*dotnetError)
				if !ok {
					panic(p)
				}
				caught = e
			}
		}()
		body()
	}()
	if caught != nil && catch != nil {
		catch(caught)
	}
}

// hr is an HRESULT written as the unsigned hex the documentation uses.
func hr(u uint32) int32 { return int32(u) }
