// Package sender is the HTTP client of webhook deliveries: it posts one
// prepared request (internal/events.Request) with the webhook's connect and
// read timeouts, follows no redirect, and counts only a 2xx answer as
// delivered. It is the one part of the events that imports net/http, so
// the use cases that publish events stay free of it (internal/archtest).
package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// maxAnswer bounds how much of an answer is read: only the status counts,
// the rest is drained so the connection can be reused.
const maxAnswer = 64 << 10

// Options configure a Sender.
type Options struct {
	// DenyPrivate refuses to connect to loopback, private (RFC 1918,
	// RFC 4193), link-local, CGNAT, unspecified and multicast addresses,
	// checked on the address actually dialled, after DNS, so a name that
	// resolves to such an address is refused too (docs/security.md, SSRF).
	// False by default, as in FusionAuth, whose webhooks commonly post to
	// services on the same private network.
	DenyPrivate bool
}

// Sender posts webhook requests. It is safe for concurrent use.
type Sender struct {
	client *http.Client
}

type connectTimeoutKey struct{}

// New returns a Sender.
func New(o Options) *Sender {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if o.DenyPrivate {
		dialer.Control = refusePrivate
	}
	tr := &http.Transport{
		Proxy: nil, // never a proxy from the environment: it would dial on our behalf, past DenyPrivate
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := *dialer
			if t, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok && t > 0 {
				d.Timeout = t
			}
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &Sender{client: &http.Client{
		Transport: tr,
		// A redirect is an answer, not a delivery (FusionAuth counts only
		// 2xx); following it would also post the event somewhere the
		// administrator never configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// StatusError is an answer other than 2xx.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("webhook answered %d", e.Code) }

// Post sends r. The connection (TCP and TLS) must be made within
// r.ConnectTimeout; from the moment the request is written, the answer
// (status, headers and up to 64 KiB of body) must come within
// r.ReadTimeout. ctx bounds the whole attempt as well.
func (s *Sender) Post(ctx context.Context, r events.Request) error {
	ctx, cancel := context.WithCancelCause(context.WithValue(ctx, connectTimeoutKey{}, r.ConnectTimeout))
	defer cancel(nil)
	var once sync.Once
	var readTimer *time.Timer
	startRead := func() {
		once.Do(func() {
			readTimer = time.AfterFunc(r.ReadTimeout, func() {
				cancel(fmt.Errorf("no answer within the read timeout (%s)", r.ReadTimeout))
			})
		})
	}
	defer func() {
		once.Do(func() {}) // no timer after return
		if readTimer != nil {
			readTimer.Stop()
		}
	}()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { startRead() }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "latchkey-webhook")
	res, err := s.client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return &StatusError{Code: res.StatusCode}
	}
	return nil
}

// ErrPrivateAddress: DenyPrivate refused the address.
var ErrPrivateAddress = errors.New("webhook address is private and LATCHKEY_WEBHOOK_PRIVATE_ADDRESSES=deny")

// cgnat is RFC 6598's shared address space, which netip does not call
// private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// refusePrivate is the dialer's Control: it sees the resolved address of
// every connection attempt.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if Private(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// Private reports whether a is an address DenyPrivate refuses.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || cgnat.Contains(a)
}
