package wsman

import (
	"fmt"
	"net/http"
)

// WSManFault codes Windows puts in f:WSManFault/@Code (HRESULTs from
// wsmerror.h, written in decimal as Windows does). Clients and logs match on
// them, so they are kept identical.
const (
	codeHeaderRequired     = 2150858769 // ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED
	codeInvalidHeader      = 2150858767 // ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER
	codeActionNotSupported = 2150858771 // ERROR_WSMAN_ACTION_NOT_SUPPORTED
	codeTimedOut           = 2150858793 // ERROR_WSMAN_OPERATION_TIMEDOUT
	codeInvalidParameter   = 2150858810 // ERROR_WSMAN_INVALID_PARAMETER
	codeInvalidResourceURI = 2150858811 // ERROR_WSMAN_INVALID_RESOURCE_URI
	codeSchemaValidation   = 2150858817 // ERROR_WSMAN_SCHEMA_VALIDATION_ERROR
	codeInvalidXML         = 2150858819 // ERROR_WSMAN_INVALID_XML
	codeMissingSelectors   = 2150858842 // ERROR_WSMAN_INSUFFCIENT_SELECTORS
	codeUnexpectedSelector = 2150858843 // ERROR_WSMAN_UNEXPECTED_SELECTORS (unknown ShellId)
	codeQuotaMaxShells     = 2150859173 // ERROR_WSMAN_QUOTA_MAX_SHELLS
	codeMinEnvelopeSize    = 2150858878 // ERROR_WSMAN_MIN_ENVELOPE_SIZE (0x8033807E)
	codeInternalError      = 2147500037 // E_FAIL
)

// fault is a SOAP 1.2 fault as WinRM sends it: HTTP 500, s:Code with a
// s:Subcode, a readable s:Reason and a f:WSManFault detail with the code.
type fault struct {
	Code    string // "s:Sender" or "s:Receiver"
	Subcode string // prefixed with a: or w: (declared on the envelope)
	Reason  string // s:Reason/s:Text
	Detail  string // f:WSManFault/f:Message; Reason when empty
	WSMan   uint32 // f:WSManFault/@Code
}

func (f *fault) Error() string {
	return fmt.Sprintf("%s/%s (%d): %s", f.Code, f.Subcode, f.WSMan, f.message())
}

func (f *fault) message() string {
	if f.Detail != "" {
		return f.Detail
	}
	return f.Reason
}

// status is the HTTP status of every fault reply.
func (f *fault) status() int { return http.StatusInternalServerError }

// render builds the fault envelope. machine fills f:WSManFault/@Machine.
func (f *fault) render(relatesTo, machine string) []byte {
	r := newReply(actionFault, relatesTo)
	sf := r.body.CreateElement("s:Fault")
	code := sf.CreateElement("s:Code")
	code.CreateElement("s:Value").SetText(f.Code)
	code.CreateElement("s:Subcode").CreateElement("s:Value").SetText(f.Subcode)
	text := sf.CreateElement("s:Reason").CreateElement("s:Text")
	text.CreateAttr("xml:lang", "en-US")
	text.SetText(f.Reason)
	wf := sf.CreateElement("s:Detail").CreateElement("f:WSManFault")
	wf.CreateAttr("xmlns:f", nsWSManFail)
	wf.CreateAttr("Code", fmt.Sprint(f.WSMan))
	wf.CreateAttr("Machine", machine)
	wf.CreateElement("f:Message").SetText(f.message())
	return r.bytes()
}

// The constructors below carry Windows' wording: users paste these texts
// into searches, and the provider's error translation matches on them.

func faultInvalidXML(why string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:SchemaValidationError", WSMan: codeInvalidXML,
		Reason: "The WS-Management service cannot process the request because the XML is invalid. ",
		Detail: "The WS-Management service cannot process the request because the XML is invalid: " + why,
	}
}

func faultSchema(why string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:SchemaValidationError", WSMan: codeSchemaValidation,
		Reason: "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ",
		Detail: "The SOAP XML in the message does not match the corresponding XML schema definition: " + why,
	}
}

func faultHeaderRequired(why string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "a:MessageInformationHeaderRequired", WSMan: codeHeaderRequired,
		Reason: "The WS-Management service cannot process the request. The request does not have all the expected SOAP headers. ",
		Detail: why,
	}
}

func faultInvalidHeader(why string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "a:InvalidMessageInformationHeader", WSMan: codeInvalidHeader,
		Reason: "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. ",
		Detail: why,
	}
}

func faultActionNotSupported(action string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "a:ActionNotSupported", WSMan: codeActionNotSupported,
		Reason: "The WS-Management service does not support the action specified in the request. ",
		Detail: "The WS-Management service does not support the action " + action + " for this resource. ",
	}
}

func faultResourceURI(uri string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:InvalidResourceURI", WSMan: codeInvalidResourceURI,
		Reason: "The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. ",
		Detail: fmt.Sprintf("The WS-Management service cannot process the request. The resource URI %q is not supported; only %s is. ", uri, resourceCmd),
	}
}

func faultMissingShellID() *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:InvalidSelectors", WSMan: codeMissingSelectors,
		Reason: "The WS-Management service cannot process the request because the request did not contain all required selectors. ",
		Detail: "The request has no ShellId selector. ",
	}
}

// faultUnknownShell is what Windows answers for a ShellId it does not know
// (never created, deleted, or timed out).
func faultUnknownShell(shellID string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:InvalidSelectors", WSMan: codeUnexpectedSelector,
		Reason: "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ",
		Detail: fmt.Sprintf("The request for the Windows Remote Shell with ShellId %s failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. ", shellID),
	}
}

func faultUnknownCommand(shellID, commandID string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:InvalidParameter", WSMan: codeInvalidParameter,
		Reason: "The WS-Management service cannot process the request because a parameter for the operation is not valid. ",
		Detail: fmt.Sprintf("The request for the Windows Remote Shell with ShellId %s failed because the command with CommandId %q was not found. ", shellID, commandID),
	}
}

func faultBadParameter(why string) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:InvalidParameter", WSMan: codeInvalidParameter,
		Reason: "The WS-Management service cannot process the request because a parameter for the operation is not valid. ",
		Detail: why,
	}
}

func faultQuota(limit int) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:QuotaLimit", WSMan: codeQuotaMaxShells,
		Reason: "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. ",
		Detail: fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ", limit),
	}
}

// faultTimedOut answers a Receive that saw no output within OperationTimeout.
// masterzen recognises it by the word OperationTimeout and polls again.
func faultTimedOut() *fault {
	const text = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	return &fault{Code: "s:Receiver", Subcode: "w:TimedOut", WSMan: codeTimedOut, Reason: text, Detail: text}
}

func faultShuttingDown() *fault {
	return &fault{
		Code: "s:Receiver", Subcode: "w:InternalError", WSMan: codeInternalError,
		Reason: "The WS-Management service cannot process the request because it is shutting down. ",
	}
}

// faultMinEnvelope answers a wsman:MaxEnvelopeSize below 8192 octets: MS-WSMV
// 3.1.4.1.7 says Windows "MUST return" DSP0226's wsman:EncodingLimit fault
// then; the text is ERROR_WSMAN_MIN_ENVELOPE_SIZE's from wsmerror.h.
func faultMinEnvelope(n int) *fault {
	return &fault{
		Code: "s:Sender", Subcode: "w:EncodingLimit", WSMan: codeMinEnvelopeSize,
		Reason: "The WS-Management service cannot process the request because the envelope size in the request is too small. ",
		Detail: fmt.Sprintf("The WS-Management service cannot process the request because the envelope size in the request is too small: MaxEnvelopeSize %d is below %d. ", n, minEnvelopeSize),
	}
}
