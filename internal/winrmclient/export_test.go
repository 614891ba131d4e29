package winrmclient

import "github.com/dp-tools/terraform-provider-iis/internal/gsskrb"

// KerberosLogin exposes one Kerberos login to the external tests that need
// the test KDC (package acctest imports this package): the token the client
// sends, and the step that checks the acceptor's answer and returns the
// established context.
func KerberosLogin(cfg Config, bindings []byte) (token []byte, complete func(reply []byte) (*gsskrb.Context, error), err error) {
	k, err := newKerberosAuth(cfg)
	if err != nil {
		return nil, nil, err
	}
	l, err := k.login(bindings)
	if err != nil {
		return nil, nil, err
	}
	return l.token, func(reply []byte) (*gsskrb.Context, error) {
		rep, err := l.complete(reply)
		if err != nil {
			return nil, err
		}
		return l.sealingContext(rep)
	}, nil
}

// ServeHost serves a simulated host for the external tests (serveHost).
var ServeHost = serveHost
