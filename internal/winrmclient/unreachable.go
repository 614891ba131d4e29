package winrmclient

// Unreachable reports whether the failure says the host did not answer at
// all: no TCP connection (refused, no route, name not found) or no reply
// within the time limit (a host that is off, hung or cut off). A caller
// managing a fleet treats such a host apart from one that answered with an
// error: wrong credentials, TLS trust, permissions and faults are problems
// of configuration that the user must see, never a host to skip.
func (e *Error) Unreachable() bool {
	return e.Kind == KindConnect || e.Kind == KindTimeout
}
