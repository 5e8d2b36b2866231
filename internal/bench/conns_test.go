package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// connServer is a test server that counts the connections it accepted and
// echoes the request body.
func connServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var opened atomic.Int64
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		}
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &opened
}

func post(t *testing.T, c *http.Client, url, body string) (string, error) {
	t.Helper()
	resp, err := c.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestConnsSequentialRequestsShareOneConnection(t *testing.T) {
	srv, opened := connServer(t, nil)
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	for i := range 50 {
		want := strings.Repeat("x", i)
		got, err := post(t, c, srv.URL, want)
		if err != nil || got != want {
			t.Fatalf("request %d: %q, %v", i, got, err)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("50 sequential requests opened %d connections, want 1", n)
	}
}

func TestConnsResendsWhenServerClosedIdleConnection(t *testing.T) {
	srv, opened := connServer(t, nil)
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	if _, err := post(t, c, srv.URL, "first"); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections() // the server drops the kept connection
	got, err := post(t, c, srv.URL, "second")
	if err != nil || got != "second" {
		t.Fatalf("after the server closed the idle connection: %q, %v", got, err)
	}
	if n := opened.Load(); n != 2 {
		t.Fatalf("opened %d connections, want 2", n)
	}
}

func TestConnsDoNotReuseConnectionTheServerCloses(t *testing.T) {
	srv, opened := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	for range 3 {
		if got, err := post(t, c, srv.URL, ""); err != nil || got != "bye" {
			t.Fatalf("%q, %v", got, err)
		}
	}
	if n := opened.Load(); n != 3 {
		t.Fatalf("opened %d connections for 3 Connection: close answers, want 3", n)
	}
}

func TestConnsCancelEndsRequestWaitingForAnswer(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv, _ := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	done := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("request cancelled while the server holds it: %v, want context.Canceled", err)
	}
}

func TestConnsReadChunkedAnswerAndReuseConnection(t *testing.T) {
	srv, opened := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first part, ")
		w.(http.Flusher).Flush() // no Content-Length: the answer is chunked
		_, _ = io.WriteString(w, "second part")
	})
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	for range 3 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "first part, second part" || len(resp.TransferEncoding) == 0 {
			t.Fatalf("chunked answer: %q, %v (transfer encoding %v)", b, err, resp.TransferEncoding)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("3 chunked answers opened %d connections, want 1", n)
	}
}

// TestConnsDoNotResendAPostTheServerMayHaveProcessed: a POST that the
// server read in full and then closed the connection on without answering
// (a handler that panicked, a server that crashed after rotating a refresh
// token) is reported as an error, never sent again: a second refresh with
// the same token would look like a token reused.
func TestConnsDoNotResendAPostTheServerMayHaveProcessed(t *testing.T) {
	var seen atomic.Int64
	srv, _ := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "refresh" {
			_, _ = w.Write(b)
			return
		}
		seen.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // processed, and no answer
		}
	})
	c := &http.Client{Transport: newConns(1)}
	defer c.CloseIdleConnections()
	if _, err := post(t, c, srv.URL, "first"); err != nil { // the connection is now kept
		t.Fatal(err)
	}
	if _, err := post(t, c, srv.URL, "refresh"); err == nil {
		t.Error("a POST the server closed the connection on was answered")
	}
	if n := seen.Load(); n != 1 {
		t.Fatalf("the server received the POST %d times, want 1", n)
	}
}
