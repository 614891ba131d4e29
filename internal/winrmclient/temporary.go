package winrmclient

// Temporary reports whether the failure may go away on its own, so that a
// caller may repeat an idempotent operation (a read) after a pause: a
// dropped or refused connection (a rebooting host), a timeout, a busy host
// (shell quota, a 5xx status, an internal fault) or a reply broken in
// transit. Wrong credentials, TLS trust, permissions and cancellation are
// not: repeating cannot fix them.
func (e *Error) Temporary() bool {
	switch e.Kind {
	case KindConnect, KindTimeout, KindQuota, KindFault, KindProtocol:
		return true
	case KindHTTP:
		return true // 5xx and odd statuses from proxies; 4xx repeat harmlessly for a read
	}
	return false
}
