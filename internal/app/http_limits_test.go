package app_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
)

// TestDefaultHTTPLimits pins the production bounds (security-bar.md §4.4,
// L13, gosec G112): every timeout set, headers well under Go's 1 MiB.
func TestDefaultHTTPLimits(t *testing.T) {
	d := app.DefaultHTTPLimits
	if d.ReadHeaderTimeout <= 0 || d.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %s: want set and at most 10s", d.ReadHeaderTimeout)
	}
	for name, v := range map[string]time.Duration{"ReadTimeout": d.ReadTimeout, "WriteTimeout": d.WriteTimeout, "IdleTimeout": d.IdleTimeout} {
		if v <= 0 || v > 5*time.Minute {
			t.Errorf("%s %s: want set and at most 5 minutes", name, v)
		}
	}
	if d.MaxHeaderBytes <= 0 || d.MaxHeaderBytes > 64<<10 {
		t.Errorf("MaxHeaderBytes %d: want set and at most 64 KiB", d.MaxHeaderBytes)
	}
}

// closedByServer reads until the server ends the connection and fails if
// the failsafe deadline (dial's, one minute) fires first.
func closedByServer(t *testing.T, c *rawConn) string {
	t.Helper()
	b, err := io.ReadAll(c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open (read %q)", b)
	}
	return string(b)
}

// TestSlowClientsAreCut is L13 / §4.4 with short timeouts set through
// app.Options: a client trickling header bytes is disconnected at
// ReadHeaderTimeout even though it keeps sending; a body that stalls is cut
// at ReadTimeout with a 4xx, never a 2xx and never a hang; headers over
// MaxHeaderBytes get 431.
func TestSlowClientsAreCut(t *testing.T) {
	r := start(t, app.Options{HTTP: app.HTTPLimits{ReadHeaderTimeout: 150 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}}, nil, nil)

	t.Run("trickled headers", func(t *testing.T) {
		c := dial(t, r.Addr)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // slowloris: one header line every 20 ms, forever
			_, _ = io.WriteString(c, "GET /api/status HTTP/1.1\r\nHost: latchkey.test\r\n")
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := io.WriteString(c, "X-Slow: a\r\n"); err != nil {
						return
					}
				}
			}
		}()
		if got := closedByServer(t, c); strings.Contains(got, "200 OK") {
			t.Fatalf("a trickled request was served: %q", got)
		}
	})

	t.Run("stalled body", func(t *testing.T) {
		c := dial(t, r.Addr)
		_, _ = io.WriteString(c, "POST /api/user HTTP/1.1\r\nHost: latchkey.test\r\nAuthorization: "+r.APIKey+
			"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\":")
		got := closedByServer(t, c)
		if strings.HasPrefix(got, "HTTP/1.1 2") {
			t.Fatalf("a stalled body was accepted: %q", got)
		}
	})

	t.Run("oversized headers", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+r.Addr+"/api/status", nil)
		req.Header.Set("Cookie", "big="+strings.Repeat("a", 64<<10))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("64 KiB Cookie: %d, want 431", res.StatusCode)
		}
	})

	t.Run("a normal request still works", func(t *testing.T) {
		res, err := http.Get("http://" + r.Addr + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

// headOfSize is a GET /api/status whose request line and headers, final
// blank line included, are exactly n bytes.
func headOfSize(t *testing.T, n int) string {
	t.Helper()
	return headOfSizeFor(t, "/api/status", n)
}

// headOfSizeFor is headOfSize for a GET of path.
func headOfSizeFor(t *testing.T, path string, n int) string {
	t.Helper()
	start, end := "GET "+path+" HTTP/1.1\r\nHost: latchkey.test\r\nX-Pad: ", "\r\n\r\n"
	pad := n - len(start) - len(end)
	if pad < 1 {
		t.Fatalf("no head of %d bytes", n)
	}
	return start + strings.Repeat("a", pad) + end
}

// TestHeaderBytesBound pins where the header limit really is: a request
// whose request line and headers take exactly app.DefaultHTTPLimits.
// MaxHeaderBytes (32 KiB) is served; one byte more is answered 431 and the
// connection closed. net/http reads MaxHeaderBytes plus 4096 bytes of
// slack (http.Server.initialReadLimitSize), which app.Run subtracts; the
// test fails if either moves.
func TestHeaderBytesBound(t *testing.T) {
	r := start(t, app.Options{}, nil, nil)
	limit := app.DefaultHTTPLimits.MaxHeaderBytes
	for _, tc := range []struct {
		size int
		want int
	}{{limit - 1, http.StatusOK}, {limit, http.StatusOK}, {limit + 1, http.StatusRequestHeaderFieldsTooLarge}, {limit + 4096, http.StatusRequestHeaderFieldsTooLarge}} {
		if got := statusOfHead(t, r.Addr, headOfSize(t, tc.size)); got != tc.want {
			t.Errorf("%d bytes of headers: %d, want %d", tc.size, got, tc.want)
		}
	}
}

// statusOfHead sends head on a new connection to addr and returns the
// answer's status.
func statusOfHead(t *testing.T, addr, head string) int {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("%d bytes of headers: %v", len(head), err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}
