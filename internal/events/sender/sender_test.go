package sender

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
)

func request(url string) events.Request {
	return events.Request{URL: url, ConnectTimeout: time.Second, ReadTimeout: time.Second,
		Header: map[string]string{"Content-Type": "application/json", "X-Custom": "v"}, Body: []byte(`{"event":{}}`)}
}

// TestPostCountsOnly2xx: 2xx is delivered; 3xx is not followed (the
// redirect target never sees the event) and, like 4xx and 5xx, fails.
func TestPostCountsOnly2xx(t *testing.T) {
	var target atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { target.Add(1) }))
	defer elsewhere.Close()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusNoContent)
		case "/redirect":
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		default:
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer srv.Close()
	s := New(Options{})
	if err := s.Post(context.Background(), request(srv.URL+"/ok")); err != nil {
		t.Fatalf("204: %v", err)
	}
	if got.Get("X-Custom") != "v" || got.Get("Content-Type") != "application/json" {
		t.Fatalf("headers sent: %v", got)
	}
	for path, code := range map[string]int{"/redirect": 307, "/conflict": 409} {
		var se *StatusError
		if err := s.Post(context.Background(), request(srv.URL+path)); !errors.As(err, &se) || se.Code != code {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if target.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestPostReadTimeout: a receiver that accepts the request and never
// answers costs the read timeout, not the caller's whole context.
func TestPostReadTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	r := request(srv.URL)
	r.ReadTimeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := New(Options{}).Post(ctx, r)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("err %v, caller's context %v: the read timeout must end the attempt", err, ctx.Err())
	}
}

// TestDenyPrivate: with DenyPrivate the dialled address is checked, so a
// loopback receiver (reached by IP or by a name resolving to it) never
// sees the request.
func TestDenyPrivate(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	for _, url := range []string{srv.URL, "http://localhost:" + u.Port()} {
		if err := New(Options{DenyPrivate: true}).Post(context.Background(), request(url)); !errors.Is(err, ErrPrivateAddress) {
			t.Fatalf("%s: %v, want ErrPrivateAddress", url, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatal("a refused delivery reached the receiver")
	}
	if err := New(Options{}).Post(context.Background(), request(srv.URL)); err != nil || hits.Load() != 1 {
		t.Fatalf("allowed by default (as FusionAuth): %v", err)
	}
	for addr, want := range map[string]bool{"127.0.0.1": true, "10.1.2.3": true, "192.168.0.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "::1": true, "fd00::1": true, "fe80::1": true, "0.0.0.0": true, "::ffff:127.0.0.1": true,
		"93.184.216.34": false, "2606:4700::1111": false} {
		if got := Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %v", addr, got)
		}
	}
}
