package winrmclient

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// The command loop is ours, built from the library's exported message
// builders (the replies are read by parseReply), because the library's
// Command type hides the command id and always spends two exchanges a
// command need not: the end of input in a Send of its own (its WriteClose,
// which would carry data with End, marks the pipe closed before writing and
// then refuses to write), and a Signal right after the output. Here input
// and its End travel together, as MS-WSMV's Send allows (pywinrm does the
// same), and the Signal terminate, which MS-WSMV 3.1.4.12 requires only
// "before a new command can be executed" in the shell, is sent when the
// shell is taken for its next command, or when the shell is released
// (Close, or idle for ShellIdleTimeout), before its Delete, as every other
// WinRM client ends a command. A refresh, one command per host, thus costs
// Create, Command, Send and Receive, then Signal and Delete when the
// provider stops.

// maxSendChunk is the most raw input one Send carries: its base64 (4/3 of
// it) and the envelope stay below envelopeSize, which hosts accept (their
// MaxEnvelopeSizekb is 150 KB on old versions, 500 KB since).
const maxSendChunk = (envelopeSize - 4096) / 4 * 3

// postMsg sends one message through the run's transport, frees it, and
// returns the reply as the transport's check read it (nil for an empty
// reply the action allows): each reply is parsed once.
func postMsg(wc *winrm.Client, msg *soap.SoapMessage) (*reply, error) {
	defer msg.Free()
	t, ok := wc.TransportDecorator().(*runTransport)
	if !ok { // libClient installs a runTransport on every library client
		return nil, fmt.Errorf("winrmclient: the library client has a %T transport", wc.TransportDecorator())
	}
	rep, _, err := t.exchangeMsg(msg)
	return rep, err
}

// requestID sends a Create or a Command and returns the id its reply
// carries (pick reads it from the reply; what names it for the error).
func (c *Client) requestID(wc *winrm.Client, st *runState, op, what string, msg *soap.SoapMessage, pick func(*reply) string) (string, error) {
	rep, err := postMsg(wc, msg)
	if err != nil {
		return "", st.failureOr(c.errs.libraryErr(op, st.ctx, err))
	}
	if rep == nil || pick(rep) == "" {
		return "", c.errs.new(KindProtocol, op, "the reply carries no "+what, "The host is not a conforming WinRM service", nil)
	}
	return pick(rep), nil
}

// startCommand sends Command and returns the command id.
func (c *Client) startCommand(wc *winrm.Client, st *runState, shellID, cmdline string) (string, error) {
	msg := commandRequest(c.url, shellID, cmdline, &wc.Parameters)
	return c.requestID(wc, st, "start command", "CommandId", msg, func(r *reply) string { return r.commandID })
}

// sendInput sends stdin in chunks below the envelope size. End="true" rides
// on the last chunk, or, for the library's pattern (separateEnd), on a Send
// of its own. No input is one Send with End and no data.
func (c *Client) sendInput(wc *winrm.Client, st *runState, shellID, cmdID string, stdin []byte, separateEnd bool) error {
	for first := true; first || len(stdin) > 0; first = false {
		n := min(len(stdin), maxSendChunk)
		chunk := stdin[:n]
		stdin = stdin[n:]
		last := len(stdin) == 0
		if separateEnd && len(chunk) == 0 {
			break // the End Send below carries nothing else
		}
		if err := c.send(wc, st, shellID, cmdID, chunk, last && !separateEnd); err != nil {
			return err
		}
	}
	if separateEnd {
		return c.send(wc, st, shellID, cmdID, nil, true)
	}
	return nil
}

func (c *Client) send(wc *winrm.Client, st *runState, shellID, cmdID string, data []byte, end bool) error {
	if _, err := postMsg(wc, winrm.NewSendInputRequest(c.url, shellID, cmdID, data, end, &wc.Parameters)); err != nil {
		return st.failureOr(c.errs.libraryErr("send input", st.ctx, err))
	}
	return nil
}

// receive polls for output until the command is done. A Receive the host
// ends at the OperationTimeout without output is the normal end of a
// long-poll and is sent again.
func (c *Client) receive(wc *winrm.Client, st *runState, shellID, cmdID string) (Result, error) {
	var stdout, stderr bytes.Buffer
	output := func(code int) Result { return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: code} }
	for {
		if err := st.ctx.Err(); err != nil {
			return output(0), c.errs.transportErr("receive output", st.ctx, err)
		}
		rep, err := postMsg(wc, winrm.NewGetOutputRequest(c.url, shellID, cmdID, "stdout stderr", &wc.Parameters))
		if receiveTimedOut(err) {
			continue
		}
		if err != nil {
			return output(0), st.failureOr(c.errs.libraryErr("receive output", st.ctx, err))
		}
		if rep == nil {
			return output(0), c.errs.new(KindProtocol, "receive output", "the Receive reply is empty", "The host is not a conforming WinRM service", nil)
		}
		stdout.Write(rep.stdout)
		stderr.Write(rep.stderr)
		if rep.done {
			return output(rep.exitCode), nil
		}
	}
}

// receiveTimedOut reports the end of a Receive long-poll without output:
// the WS-Management OperationTimeout fault, a normal answer to a held poll.
func receiveTimedOut(err error) bool {
	var fe *FaultError
	return errors.As(err, &fe) && fe.TimedOut()
}

// signal sends Signal terminate for a command: the acknowledgement of its
// output that MS-WSMV asks for before the shell's next command, or the end
// of a command that failed. It is bounded by the clean-up timeout even
// after the run's context ended.
func (c *Client) signal(wc *winrm.Client, shellID, cmdID string) error {
	_, err := postMsg(wc, winrm.NewSignalRequest(c.url, shellID, cmdID, &wc.Parameters))
	return err
}
