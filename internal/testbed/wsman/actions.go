package wsman

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// dispatch runs one parsed request and returns the reply envelope or a fault.
func (s *Server) dispatch(r *http.Request, user string, req *request) ([]byte, *fault) {
	switch req.Action {
	case actionCreate, actionDelete, actionCommand, actionSend, actionReceive, actionSignal:
	default:
		return nil, faultActionNotSupported(req.Action)
	}
	// Only the cmd shell exists here; Windows also refuses a shell action
	// addressed to another resource.
	if req.ResourceURI != resourceCmd {
		return nil, faultResourceURI(req.ResourceURI)
	}
	if req.Action == actionCreate {
		return s.create(r, user, req)
	}

	if !req.HasShellID {
		return nil, faultMissingShellID()
	}
	sh, release := s.shells.get(req.ShellID, user)
	defer release()
	if sh == nil {
		return nil, faultUnknownShell(req.ShellID)
	}
	switch req.Action {
	case actionDelete:
		if !s.shells.delete(sh.id, user) {
			return nil, faultUnknownShell(req.ShellID)
		}
		s.logf("wsman: %s deleted shell %s", user, sh.id)
		return newReply(actionDelete+"Response", req.MessageID).bytes(), nil
	case actionCommand:
		return s.command(sh, req)
	case actionSend:
		return s.send(r, sh, req)
	case actionReceive:
		return s.receive(r, sh, req)
	default: // actionSignal
		return s.signal(sh, req)
	}
}

// create opens a shell: x:ResourceCreated with the ShellId selector (all
// masterzen reads) and the rsp:Shell description Windows adds.
func (s *Server) create(r *http.Request, user string, req *request) ([]byte, *fault) {
	if !isShell(req.Body, "Shell") {
		return nil, faultSchema("a Create of a cmd shell must carry an rsp:Shell body")
	}
	clientIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		clientIP = r.RemoteAddr
	}
	// rsp:IdleTimeOut (MS-WSMV 2.2.4.37, Shell): how long the shell may
	// stay without requests before the service deletes it; more than the
	// service allows, or none, gets the service's value.
	idle := s.maxIdle
	if el := child(req.Body, nsShell, "IdleTimeOut"); el != nil {
		d, err := parseDuration(textOf(el))
		if err != nil || d <= 0 {
			return nil, faultSchema("rsp:IdleTimeOut " + strconv.Quote(textOf(el)) + " is not a positive xs:duration")
		}
		idle = min(d, s.maxIdle)
	}
	sh, err := s.shells.create(user, clientIP, s.maxShell, idle)
	switch {
	case errors.Is(err, errQuota):
		return nil, faultQuota(s.maxShell)
	case err != nil:
		return nil, faultShuttingDown()
	}
	s.stats.shellsCreated.Add(1)
	s.logf("wsman: %s created shell %s", user, sh.id)

	inputs := orDefault(textOf(child(req.Body, nsShell, "InputStreams")), "stdin")
	outputs := orDefault(textOf(child(req.Body, nsShell, "OutputStreams")), "stdout stderr")

	rep := newReply(actionCreate+"Response", req.MessageID)
	rc := rep.body.CreateElement("x:ResourceCreated")
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	rc.CreateElement("a:Address").SetText(scheme + "://" + r.Host + "/wsman")
	ref := rc.CreateElement("a:ReferenceParameters")
	ref.CreateElement("w:ResourceURI").SetText(resourceCmd)
	sel := ref.CreateElement("w:SelectorSet").CreateElement("w:Selector")
	sel.CreateAttr("Name", "ShellId")
	sel.SetText(sh.id)

	desc := rep.body.CreateElement("rsp:Shell")
	for _, kv := range [][2]string{
		{"ShellId", sh.id},
		{"ResourceUri", resourceCmd},
		{"Owner", user},
		{"ClientIP", clientIP},
		{"IdleTimeOut", fmt.Sprintf("PT%.3fS", idle.Seconds())},
		{"InputStreams", inputs},
		{"OutputStreams", outputs},
		{"ShellRunTime", "P0DT0H0M0S"},
		{"ShellInactivity", "P0DT0H0M0S"},
	} {
		desc.CreateElement("rsp:" + kv[0]).SetText(kv[1])
	}
	return rep.bytes(), nil
}

// command starts a command in sh and hands it to the executor.
func (s *Server) command(sh *shell, req *request) ([]byte, *fault) {
	if !isShell(req.Body, "CommandLine") {
		return nil, faultSchema("a Command request must carry an rsp:CommandLine body")
	}
	line := textOf(child(req.Body, nsShell, "Command"))
	if line == "" {
		return nil, faultSchema("rsp:CommandLine has no rsp:Command text")
	}
	// MS-WSMV 3.1.4.12: the client acknowledges a command's output with
	// Signal terminate, which it "MUST send before a new command can be
	// executed". Enforced, so a client that skips it fails here first.
	if id := sh.owed(); id != "" {
		return nil, faultBadParameter("command " + id + " in this shell has ended but was not terminated with Signal; MS-WSMV requires that before a new command")
	}
	info := Command{ShellID: sh.id, CommandLine: line, User: sh.owner, Options: req.Options}
	// Argument text is kept as sent: leading or trailing spaces may matter.
	// Windows hands the process one command line: rsp:Command, then each
	// rsp:Arguments after a space (wsman.h WSMAN_COMMAND_ARG_SET, "the
	// arguments that are passed in to the command line"; pywinrm sends
	// run_cmd's args this way).
	for _, a := range children(req.Body, nsShell, "Arguments") {
		info.Arguments = append(info.Arguments, a.Text())
		info.CommandLine += " " + a.Text()
	}
	info.PipeStdin = strings.EqualFold(req.Options[OptionConsoleModeStdin], "FALSE")
	// Newer clients (PSRP) propose the command id; Windows honours it.
	info.CommandID = strings.ToUpper(attr(req.Body, "CommandId"))
	if info.CommandID == "" {
		info.CommandID = newGUID()
	} else if sh.command(info.CommandID) != nil {
		return nil, faultBadParameter("a command with CommandId " + info.CommandID + " already exists in this shell")
	}

	// Register with the WaitGroup under mu so that Close either sees this
	// executor in its Wait or has already marked the server closed.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, faultShuttingDown()
	}
	s.wg.Add(1)
	s.mu.Unlock()

	c := newCommand(s.base, info)
	if !sh.addCommand(c) { // the shell was deleted meanwhile
		c.cancel()
		s.wg.Done()
		return nil, faultUnknownShell(sh.id)
	}
	s.stats.commandsStarted.Add(1)
	s.logf("wsman: shell %s: command %s started", sh.id, info.CommandID)
	go func() {
		defer s.wg.Done()
		c.run(s.exec, s.logf)
		s.logf("wsman: shell %s: command %s exited", sh.id, info.CommandID)
	}()

	rep := newReply(nsShell+"/CommandResponse", req.MessageID)
	rep.body.CreateElement("rsp:CommandResponse").CreateElement("rsp:CommandId").SetText(info.CommandID)
	return rep.bytes(), nil
}

// send feeds stdin. It holds the request while the executor is far behind.
func (s *Server) send(r *http.Request, sh *shell, req *request) ([]byte, *fault) {
	if !isShell(req.Body, "Send") {
		return nil, faultSchema("a Send request must carry an rsp:Send body")
	}
	streams := children(req.Body, nsShell, "Stream")
	if len(streams) == 0 {
		return nil, faultSchema("rsp:Send has no rsp:Stream")
	}
	for _, st := range streams {
		if name := attr(st, "Name"); name != "stdin" {
			return nil, faultBadParameter("the shell has no input stream named " + strconv.Quote(name) + "; it has stdin")
		}
		c := sh.command(attr(st, "CommandId"))
		if c == nil {
			return nil, faultUnknownCommand(sh.id, attr(st, "CommandId"))
		}
		data, err := base64.StdEncoding.DecodeString(stripSpace(st.Text()))
		if err != nil {
			return nil, faultBadParameter("the stdin stream is not valid base64: " + err.Error())
		}
		eof := isTrue(attr(st, "End"))
		switch err := c.send(r.Context(), data, eof); {
		case errors.Is(err, errRemoved):
			return nil, faultUnknownShell(sh.id)
		case err != nil:
			return nil, errClientGone
		}
	}
	rep := newReply(actionSend+"Response", req.MessageID)
	rep.body.CreateElement("rsp:SendResponse")
	return rep.bytes(), nil
}

// receive is the long-poll for a command's output.
func (s *Server) receive(r *http.Request, sh *shell, req *request) ([]byte, *fault) {
	if !isShell(req.Body, "Receive") {
		return nil, faultSchema("a Receive request must carry an rsp:Receive body")
	}
	ds := child(req.Body, nsShell, "DesiredStream")
	if ds == nil || attr(ds, "CommandId") == "" {
		// Shell-level Receive (no CommandId) serves shells that are not
		// cmd; no WinRM cmd client sends it.
		return nil, faultSchema("rsp:Receive needs an rsp:DesiredStream with a CommandId")
	}
	id := attr(ds, "CommandId")
	c := sh.command(id)
	if c == nil {
		return nil, faultUnknownCommand(sh.id, id)
	}
	// Keep the reply within the envelope size the client accepts: base64
	// grows data by 4/3, the rest of the envelope stays under replyOverhead.
	// MS-WSMV 3.1.4.1.7: a request without MaxEnvelopeSize, or one above
	// the service's MaxEnvelopeSizekb, gets the service's limit.
	limit := s.maxBody
	if req.MaxEnvelope > 0 && req.MaxEnvelope < limit {
		limit = req.MaxEnvelope
	}
	budget := (limit - replyOverhead) / 4 * 3
	out, err := c.receive(r.Context(), req.Timeout, budget)
	switch {
	case errors.Is(err, errTimedOut):
		s.stats.receiveTimeouts.Add(1)
		return nil, faultTimedOut()
	case errors.Is(err, errRemoved):
		return nil, faultUnknownShell(sh.id)
	case err != nil:
		return nil, errClientGone
	}

	rep := newReply(actionReceive+"Response", req.MessageID)
	rr := rep.body.CreateElement("rsp:ReceiveResponse")
	addStream := func(name string, data []byte) {
		// Windows sends a stream element only when it has data, plus an
		// empty one with End="true" per stream when the command is done.
		if len(data) == 0 && !out.Done {
			return
		}
		st := rr.CreateElement("rsp:Stream")
		st.CreateAttr("Name", name)
		st.CreateAttr("CommandId", id)
		if out.Done {
			st.CreateAttr("End", "true")
		}
		// Each chunk is encoded on its own, padding included: the client
		// decodes every element separately.
		st.SetText(base64.StdEncoding.EncodeToString(data))
	}
	addStream("stdout", out.Stdout)
	addStream("stderr", out.Stderr)
	state := rr.CreateElement("rsp:CommandState")
	state.CreateAttr("CommandId", id)
	if out.Done {
		c.markDoneSent()
		state.CreateAttr("State", stateDone)
		state.CreateElement("rsp:ExitCode").SetText(strconv.Itoa(out.ExitCode))
	} else {
		state.CreateAttr("State", stateRunning)
	}
	return rep.bytes(), nil
}

// signal delivers terminate, ctrl_c or ctrl_break to a command.
func (s *Server) signal(sh *shell, req *request) ([]byte, *fault) {
	if !isShell(req.Body, "Signal") {
		return nil, faultSchema("a Signal request must carry an rsp:Signal body")
	}
	id := attr(req.Body, "CommandId")
	c := sh.command(id)
	if c == nil {
		return nil, faultUnknownCommand(sh.id, id)
	}
	switch code := textOf(child(req.Body, nsShell, "Code")); code {
	case signalTerminate:
		// The process is killed and the command forgotten; a Receive
		// already waiting on it still gets the Done state.
		c.cancel()
		sh.forget(id)
	case signalCtrlC, signalCtrlBreak:
		c.cancel()
	default:
		return nil, faultBadParameter("unsupported signal code " + strconv.Quote(code))
	}
	rep := newReply(actionSignal+"Response", req.MessageID)
	rep.body.CreateElement("rsp:SignalResponse")
	return rep.bytes(), nil
}

func orDefault(v, dflt string) string {
	if v == "" {
		return dflt
	}
	return v
}

// isTrue parses an xs:boolean.
func isTrue(v string) bool {
	v = strings.TrimSpace(v)
	return v == "true" || v == "1"
}

// stripSpace removes the whitespace a client may have wrapped base64 in.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
