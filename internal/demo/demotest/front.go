package demotest

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// Option adjusts Start.
type Option func(*startOptions)

type startOptions struct {
	identity func(http.Handler) http.Handler
}

// WrapIdentity puts mw in front of the identity server at its public URL, so
// a test sees (and may delay) every request that a browser or any other
// client makes to it: the browser walk counts POST /api/jwt/refresh there
// and holds a victim's refresh until an attacker has acted. demo.Run cannot
// take a middleware, so Start serves the public listener itself and
// forwards to the identity server on a second loopback listener. The
// forwarding keeps the Host header and adds no X-Forwarded-* header, so
// the identity server sees the request as the client sent it (issuer,
// cookies and CORS unchanged). The Store and the Forums backends still reach
// the identity server directly (JWKS), as demo.Run wires them.
func WrapIdentity(mw func(http.Handler) http.Handler) Option {
	return func(o *startOptions) { o.identity = mw }
}

// serveFront serves ln with mw around a reverse proxy to addr until closed.
func serveFront(ln net.Listener, addr string, mw func(http.Handler) http.Handler) *http.Server {
	target := &url.URL{Scheme: "http", Host: addr}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		// The identity server going away at Stop is not news; a failure while
		// the test runs shows as the 502 the client gets.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	srv := &http.Server{Handler: mw(proxy), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv
}
