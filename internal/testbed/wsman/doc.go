// Package wsman is a WS-Management (WinRM) remote shell server: the protocol
// layer of the distribution point simulator used to test the provider.
//
// It speaks the wire protocol the way a Windows host does, so that the
// unmodified github.com/masterzen/winrm client (and anything built on it)
// works against it: POST /wsman with SOAP 1.2 envelopes, the
// transfer/Create, Command, Send, Receive, Signal and transfer/Delete actions
// of the windows/shell/cmd resource, Windows' fault shapes and codes, the 401
// shape of a host with Basic authentication enabled, and Receive as a
// long-poll bounded by the request's OperationTimeout.
//
// The server runs no programs. A command started with the Command action is
// handed to an [Executor] together with a stdin reader fed by the client's
// Send requests and stdout/stderr writers drained by its Receive requests.
//
// # API
//
//	srv := wsman.NewServer(wsman.Options{
//		Username: "vagrant", Password: "vagrant", // or Authenticator: wsman.NewBasicAuth(users)
//		Executor: myExecutor,           // runs the commands (wsman.ExecutorFunc adapts a func)
//		MaxShellsPerUser: 30,           // Windows' default
//		MaxEnvelopeSize: 500 * 1024,    // request body limit (MaxEnvelopeSizekb)
//	})
//	defer srv.Close()
//	http.Handle("/wsman", srv)          // or httptest.NewServer(srv)
//
// [Server.Stats] reports counters for assertions in tests (for instance that a
// long-poll did not make the client spin). [SelfSignedCertificate] makes a
// certificate for an HTTPS listener that a client can trust as its CA.
//
// Authentication is pluggable. [Options.Schemes] lists the schemes of the
// service like winrm/config/service/auth: [NTLMScheme] (Negotiate with raw
// NTLMSSP, one handshake per connection, after which the connection's
// bodies are sealed as multipart/encrypted), [KerberosScheme] (a Kerberos AP-REQ,
// raw or in SPNEGO, verified with gokrb5's service side, answered with an
// AP-REP, its context sealing the bodies over HTTP), [BasicScheme] and [CertScheme] (client
// certificates mapped to users). [Options.RefuseUnencrypted] is
// AllowUnencrypted=false. Connection-oriented schemes keep their state in
// the connection's context: install [Server.ConnContext] on the
// http.Server. Without Schemes, an [Authenticator] (by default [BasicAuth]
// for Username/Password) decides, and a 401 offers Negotiate and Basic, as
// a Windows host with Basic enabled does.
//
// An http.Server serving this handler must not have a ReadTimeout or
// WriteTimeout shorter than the clients' OperationTimeout (PT60S by default):
// Receive requests are held that long.
//
// # Behaviour worth knowing
//
//   - Receive never answers empty at once: it waits for output, for the end of
//     the command, or for the OperationTimeout, and then answers the w:TimedOut
//     fault (HTTP 500), which the masterzen client treats as "poll again".
//   - Output is delivered in bounded chunks (at most 64 KiB raw per stream per
//     response, less if the request's MaxEnvelopeSize asks for it), each chunk
//     base64-encoded on its own; CommandState Done comes only once all
//     buffered output has been delivered.
//   - An executor that writes faster than the client receives is slowed down
//     (its writes block) rather than buffered without bound; Sends are
//     buffered up to a limit and then block until the executor reads.
//   - Signal terminate cancels the executor's context and forgets the command;
//     transfer/Delete cancels every command of the shell; Close does both for
//     every shell, releases pending long-polls and waits for the executors.
package wsman
