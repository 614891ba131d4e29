package wsman

import "sync/atomic"

// Stats is a snapshot of the server's counters. Tests use it to check what
// the client did on the wire (for instance that a long-poll did not make it
// spin).
type Stats struct {
	// Exchanges counts every HTTP request the server answered, whatever
	// its outcome (401, 405, faults included).
	Exchanges int64
	// Requests per action, counted once the request is authenticated and
	// parsed, whatever the outcome.
	Create, Command, Send, Receive, Signal, Delete int64
	// OtherActions counts parsed requests with any other action.
	OtherActions int64
	// AuthFailures counts 401 answers.
	AuthFailures int64
	// Faults counts SOAP fault answers, TimedOut included.
	Faults int64
	// ReceiveTimeouts counts Receive long-polls answered with w:TimedOut.
	ReceiveTimeouts int64
	// ShellsOpen is the number of shells now open; ShellsCreated counts
	// every shell ever created.
	ShellsOpen, ShellsCreated int64
	// ShellsExpired counts shells deleted because no request addressed
	// them for their IdleTimeOut.
	ShellsExpired int64
	// CommandsStarted counts commands handed to the Executor.
	CommandsStarted int64
	// Sealed counts requests whose body arrived sealed (multipart/encrypted
	// with the NTLM or Kerberos context) and was unsealed and verified;
	// Unsealed counts requests with a plain body (over HTTPS that is the
	// norm). They prove on the wire what a client did.
	Sealed, Unsealed int64
	// RefusedUnencrypted counts plain bodies refused over HTTP
	// (RefuseUnencrypted); UnsealFailures counts sealed bodies that did
	// not unseal or verify.
	RefusedUnencrypted, UnsealFailures int64
	// Handshakes counts connections authenticated by a connection-oriented
	// scheme (NTLM, Kerberos).
	Handshakes int64
}

// counters are the live counters behind Stats.
type counters struct {
	exchanges, create, command, send, receive, signal, del, other atomic.Int64
	authFailures, faults, receiveTimeouts                         atomic.Int64
	shellsCreated, commandsStarted                                atomic.Int64
	sealed, unsealed, refusedUnencrypted, unsealFailures          atomic.Int64
	handshakes                                                    atomic.Int64
}

// action returns the counter of a request action.
func (c *counters) action(action string) *atomic.Int64 {
	switch action {
	case actionCreate:
		return &c.create
	case actionCommand:
		return &c.command
	case actionSend:
		return &c.send
	case actionReceive:
		return &c.receive
	case actionSignal:
		return &c.signal
	case actionDelete:
		return &c.del
	default:
		return &c.other
	}
}

func (c *counters) snapshot(open int, expired int64) Stats {
	return Stats{
		Exchanges:       c.exchanges.Load(),
		Create:          c.create.Load(),
		Command:         c.command.Load(),
		Send:            c.send.Load(),
		Receive:         c.receive.Load(),
		Signal:          c.signal.Load(),
		Delete:          c.del.Load(),
		OtherActions:    c.other.Load(),
		AuthFailures:    c.authFailures.Load(),
		Faults:          c.faults.Load(),
		ReceiveTimeouts: c.receiveTimeouts.Load(),
		ShellsOpen:      int64(open),
		ShellsCreated:   c.shellsCreated.Load(),
		ShellsExpired:   expired,
		CommandsStarted: c.commandsStarted.Load(),

		Sealed:             c.sealed.Load(),
		Unsealed:           c.unsealed.Load(),
		RefusedUnencrypted: c.refusedUnencrypted.Load(),
		UnsealFailures:     c.unsealFailures.Load(),
		Handshakes:         c.handshakes.Load(),
	}
}
