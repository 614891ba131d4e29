package winrmclient

import (
	"strings"

	"github.com/gofrs/uuid"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// The WINRS options of a Command (MS-WSMV 3.1.4.11, "Command": the
// wsman:OptionSet of the request; wsman.h WSMAN_CMDSHELL_OPTION_*).
const (
	// optConsoleModeStdin chooses how the service hands stdin to the
	// process: TRUE gives it a console input buffer, FALSE a pipe. The
	// library always sends TRUE, which suits an interactive winrs session;
	// a client that feeds stdin from Send sends FALSE, so the process reads
	// exactly the bytes sent, with no console line editing or echo, and
	// sees the end of input as the end of a pipe ([Console]::In.ReadToEnd()
	// returns). winrs.exe, pywinrm's run_cmd and PSRP clients do the same.
	optConsoleModeStdin = "WINRS_CONSOLEMODE_STDIN"
	// optSkipCmdShell FALSE runs the command line through cmd.exe /c, as
	// the library does: pscmd's command line relies on it.
	optSkipCmdShell = "WINRS_SKIP_CMD_SHELL"
)

// commandRequest builds the Command message: the library's
// NewExecuteCommandRequest with stdin in pipe mode. The library offers no
// way to change the options it puts in, so the message is built here from
// its exported SOAP builders, with the same headers.
func commandRequest(url, shellID, cmdline string, params *winrm.Parameters) *soap.SoapMessage {
	msg := soap.NewMessage()
	msg.Header().
		To(url).
		ReplyTo("http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous").
		MaxEnvelopeSize(params.EnvelopeSize).
		Id("uuid:" + strings.ToUpper(uuid.Must(uuid.NewV4()).String())).
		Locale(params.Locale).
		Timeout(params.Timeout).
		Action("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command").
		ResourceURI("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd").
		ShellId(shellID).
		AddOption(soap.NewHeaderOption(optConsoleModeStdin, "FALSE")).
		AddOption(soap.NewHeaderOption(optSkipCmdShell, "FALSE")).
		Build()
	body := msg.CreateBodyElement("CommandLine", soap.DOM_NS_WIN_SHELL)
	// CDATA keeps characters such as & intact; pscmd's command lines are
	// base64 and never contain the "]]>" that would end it.
	msg.CreateElement(body, "Command", soap.DOM_NS_WIN_SHELL).SetContent("<![CDATA[" + cmdline + "]]>")
	return msg
}
