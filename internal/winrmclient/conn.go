package winrmclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// hostConn is one TCP (or TLS) connection to the host and the state its
// authentication keeps. NTLM and Kerberos authenticate a connection, not a
// request, and NTLM's sealing keys and sequence numbers belong to that
// connection, so the client owns its connections instead of leaving them to
// net/http's pool, which may silently replace one with another. A hostConn
// is used by one exchange at a time (see connPool).
type hostConn struct {
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer        // made on the first request, then reused
	tls     *tls.ConnectionState // nil over HTTP
	created time.Time
	idle    time.Time // when it was last returned to the pool

	authed bool   // the handshake of a connection-oriented scheme is done
	sealer sealer // NTLM or Kerberos over HTTP: seals every message
	used   int    // exchanges made on it
	dead   bool   // closed, or unusable after an error
}

// sealer seals and unseals the message bodies of one connection: the
// NTLM session of bodgit/ntlmssp or a Kerberos context (gsskrb.Context).
type sealer interface {
	Wrap(plain []byte) (sealed, signature []byte, err error)
	Unwrap(sealed, signature []byte) ([]byte, error)
}

// counters are the client's wire counters behind Stats.
type counters struct {
	commands, exchanges, handshakes, dials atomic.Int64
	bytesSent, bytesReceived               atomic.Int64
	shellsCreated, shellsDeleted           atomic.Int64
	shellsReused, shellsRecovered          atomic.Int64
}

// countingConn counts the bytes on the wire (TLS records included).
type countingConn struct {
	net.Conn
	c *counters
}

func (cc countingConn) Read(b []byte) (int, error) {
	n, err := cc.Conn.Read(b)
	cc.c.bytesReceived.Add(int64(n))
	return n, err
}

func (cc countingConn) Write(b []byte) (int, error) {
	n, err := cc.Conn.Write(b)
	cc.c.bytesSent.Add(int64(n))
	return n, err
}

// dial opens a connection, with TLS when tc is not nil. Proxies are not
// used: a connection-authenticated scheme cannot pass through an HTTP
// forward proxy, and WinRM hosts are reached directly.
func dial(ctx context.Context, addr string, tc *tls.Config, cnt *counters) (*hostConn, error) {
	d := net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cnt.dials.Add(1)
	var conn net.Conn = countingConn{nc, cnt}
	hc := &hostConn{created: time.Now()}
	if tc != nil {
		tconn := tls.Client(conn, tc)
		hctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
		err := tconn.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, err
		}
		st := tconn.ConnectionState()
		hc.tls = &st
		conn = tconn
	}
	hc.nc = conn
	hc.br = bufio.NewReaderSize(conn, 32<<10)
	return hc, nil
}

func (c *hostConn) close() {
	c.dead = true
	_ = c.nc.Close()
}

// alive checks, without blocking, that the host has not closed an idle
// connection: a closed one reads EOF at once, a live one times out.
func (c *hostConn) alive() bool {
	if c.dead {
		return false
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.br.Peek(1)
	_ = c.nc.SetReadDeadline(time.Time{})
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// response is a whole HTTP reply.
type response struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip writes one HTTP/1.1 request and reads its reply. readTimeout
// bounds the wait for the reply (a Receive long-poll is held by the host
// up to the OperationTimeout). Any error leaves the connection dead.
func (c *hostConn) roundTrip(ctx context.Context, req *http.Request, body []byte, readTimeout time.Duration) (*response, error) {
	c.used++
	req.ContentLength = int64(len(body))
	req.Body = nil
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	// An ended context unblocks the read or write by expiring the deadline.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(err error) (*response, error) {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(dialTimeout))
	if c.bw == nil {
		c.bw = bufio.NewWriterSize(c.nc, 32<<10)
	}
	if err := req.Write(c.bw); err != nil {
		return fail(err)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(err)
	}
	_ = c.nc.SetWriteDeadline(time.Time{})
	_ = c.nc.SetReadDeadline(time.Now().Add(readTimeout))
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return fail(err)
	}
	b, err := readBody(resp)
	_ = resp.Body.Close()
	if err != nil {
		return fail(err)
	}
	if len(b) > maxReplyBytes {
		c.close()
		return nil, fmt.Errorf("the reply exceeds %d bytes", maxReplyBytes)
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	if resp.Close {
		c.close()
	}
	if !stop() { // the context ended while we finished: the deadline is spoiled
		c.close()
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// readBody reads a reply's body, up to maxReplyBytes+1 bytes. With a
// Content-Length (WinRM always sends one) the body is read into one
// allocation of that size instead of a buffer grown by doubling, which for
// a Receive of a 30 KB file was three times the reply in garbage.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxReplyBytes {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
}

// connPool keeps idle authenticated connections for reuse. A connection is
// taken by one exchange at a time, so the NTLM session of a connection sees
// its messages in order; concurrent exchanges (a Send while a Receive is
// held) get connections of their own.
type connPool struct {
	mu   sync.Mutex
	idle []*hostConn
}

const (
	maxIdleConns = 4
	// maxIdleAge stays below the idle timeouts of HTTP.sys (120 s) and
	// common middleboxes, so a connection is seldom closed under us.
	maxIdleAge = 50 * time.Second
)

// get returns an idle live connection, or nil.
func (p *connPool) get() *hostConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(c.idle) < maxIdleAge && c.alive() {
			return c
		}
		c.close()
	}
	return nil
}

func (p *connPool) put(c *hostConn) {
	if c.dead {
		return
	}
	c.idle = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= maxIdleConns {
		c.close()
		return
	}
	p.idle = append(p.idle, c)
}

func (p *connPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.close()
	}
	p.idle = nil
}
