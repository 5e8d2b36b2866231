package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// conns is the load's HTTP/1.1 client for plain-http targets: keep-alive
// connections, each request written and its response read by the goroutine
// that sends it. net/http's Transport runs two goroutines per connection
// (a reader and a writer) and hands every request and response between
// them and the caller; on a machine the server shares, those wake-ups were
// a fifth of the bench's own CPU. The requests on the wire are the same
// (http.Request.Write, the standard response parser); an https target
// uses net/http's Transport.
type conns struct {
	fallback http.RoundTripper // https
	dialer   net.Dialer
	mu       sync.Mutex
	idle     []*conn
	max      int // idle connections kept
}

// conn is one keep-alive connection.
type conn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newConns(clients int) *conns {
	return &conns{fallback: transport(clients), dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		max: clients + 16}
}

// RoundTrip sends req on an idle connection (or a new one) and returns its
// response; the connection goes back to the idle ones once the body has
// been read to its end and closed.
func (t *conns) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	c, reused, err := t.get(ctx, req.URL.Host)
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, also on errors
		}
		return nil, err
	}
	resp, stop, err := c.send(ctx, req)
	if err != nil && reused && ctx.Err() == nil && resendable(req, err) {
		// The server closed the kept connection (a keep-alive timeout
		// that get's peek did not yet see) before it could have read the
		// whole request, or the request may be sent twice: it is sent
		// again on a new connection, as net/http's Transport does.
		if c, _, err = t.dial(ctx, req.URL.Host); err != nil {
			return nil, err
		}
		if req, err = rewound(req); err != nil {
			c.c.Close()
			return nil, err
		}
		resp, stop, err = c.send(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	reuse := func(eof bool) {
		if stop() && eof && !resp.Close {
			t.put(c)
			return
		}
		c.c.Close()
	}
	resp.Body = &body{r: resp.Body, eof: resp.Body == http.NoBody, done: reuse}
	return resp, nil
}

// resendable reports whether a request that failed on a kept connection
// may be sent again: only when the connection was found closed (EOF, reset,
// broken pipe) and either the request did not reach the server whole (its
// write failed) or sending it twice changes nothing (GET, HEAD, OPTIONS
// without a body). A POST written in full may have been processed before
// the connection closed: a refresh sent again would look like its token
// reused, so that is an error, as with net/http.
func resendable(req *http.Request, err error) bool {
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		return false
	}
	var w writeError
	if errors.As(err, &w) {
		return true
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.Body == nil || req.Body == http.NoBody
	}
	return false
}

// writeError is an error writing a request: its end never reached the
// server.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// rewound is req with its body to be sent again.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("bench: connection closed by the server, request body cannot be resent")
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = b
	return &r, nil
}

// send writes req and reads its response head; a cancelled or timed-out
// request (http.Client.Timeout ends ctx) ends the connection's blocked
// read or write. stop reports whether ctx had not ended the connection.
// On an error the connection is closed.
func (c *conn) send(ctx context.Context, req *http.Request) (*http.Response, func() bool, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
	resp, err := c.exchange(req)
	if err != nil {
		stop()
		c.c.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, err
	}
	return resp, stop, nil
}

// exchange writes req and reads its response head.
func (c *conn) exchange(req *http.Request) (*http.Response, error) {
	if err := req.Write(c.bw); err != nil {
		return nil, writeError{err}
	}
	if err := c.bw.Flush(); err != nil {
		return nil, writeError{err}
	}
	// io.EOF here: closed before any byte of an answer (ReadResponse
	// would say io.ErrUnexpectedEOF either way).
	if _, err := c.br.Peek(1); err != nil {
		return nil, err
	}
	return http.ReadResponse(c.br, req)
}

// get takes an idle connection (reused) that the server has not closed,
// or dials one.
func (t *conns) get(ctx context.Context, host string) (c *conn, reused bool, err error) {
	for {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			return t.dial(ctx, host)
		}
		c := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		if c.br.Buffered() == 0 && !closedByPeer(c.c) {
			return c, true, nil
		}
		c.c.Close()
	}
}

func (t *conns) dial(ctx context.Context, host string) (*conn, bool, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, false, err
	}
	return &conn{c: nc, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}, false, nil
}

func (t *conns) put(c *conn) {
	t.mu.Lock()
	if len(t.idle) < t.max {
		t.idle = append(t.idle, c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

// CloseIdleConnections closes the kept connections (http.Client calls it).
func (t *conns) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, c := range idle {
		c.c.Close()
	}
	if f, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// body hands its connection back once read to its end (io.EOF) and
// closed; closed earlier or after an error, the connection is closed, as
// the rest of the response is unknown.
type body struct {
	r    io.ReadCloser
	eof  bool
	once sync.Once
	done func(reuse bool)
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

func (b *body) Close() error {
	err := b.r.Close()
	b.once.Do(func() { b.done(b.eof && err == nil) })
	return err
}
