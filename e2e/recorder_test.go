package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// uaTag marks a tab's requests: the tab's User-Agent ends with uaTag+name
// (see tagTab), so the recorder can tell which tab of which profile sent a
// request to the identity server. A User-Agent override is invisible to
// CORS (no preflight, no allow-list), unlike a custom header.
const uaTag = " latchkey-e2e/"

// exchange is one request to the identity server as its front door saw it
// (demotest.WrapIdentity): who sent it, which refresh cookie it carried and
// what came back. The refresh cookie's history is the chain of Presented ->
// Set over a profile's exchanges.
type exchange struct {
	Tag          string // the sending tab's tag; "" for the attacker and untagged tabs
	Method, Path string
	Presented    string // refresh_token cookie sent, "" none
	Status       int    // 0 while in flight (or held)
	Set          string // refresh_token cookie set by the answer, "" none
	Token        string // the JWT in a login or refresh answer
	Start, End   time.Time
}

// refresh and login say what an exchange was; a browser's CORS preflights
// (OPTIONS) are exchanges too.
func (e exchange) refresh() bool { return e.Method == http.MethodPost && e.Path == "/api/jwt/refresh" }
func (e exchange) login() bool   { return e.Method == http.MethodPost && e.Path == "/api/login" }

// recorder is the middleware in front of the identity server: it logs every
// exchange and holds back requests that match a hold until it is released,
// which is how the test decides, not the clock, what reaches the identity
// server first.
type recorder struct {
	mu    sync.Mutex
	ex    []*exchange
	holds map[*hold]bool
}

type hold struct {
	match    func(exchange) bool
	released chan struct{}
}

func newRecorder() *recorder { return &recorder{holds: map[*hold]bool{}} }

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		e := &exchange{Method: req.Method, Path: req.URL.Path, Start: time.Now()}
		if _, tag, ok := strings.Cut(req.UserAgent(), uaTag); ok {
			e.Tag = tag
		}
		if c, err := req.Cookie("refresh_token"); err == nil {
			e.Presented = c.Value
		}
		r.mu.Lock()
		r.ex = append(r.ex, e)
		var waits []chan struct{}
		for h := range r.holds {
			if h.match(*e) {
				waits = append(waits, h.released)
			}
		}
		r.mu.Unlock()
		for _, c := range waits {
			select {
			case <-c:
			case <-req.Context().Done():
				return
			}
		}
		// The answer is buffered and recorded before the client gets any of
		// it, so whatever the test sees in the browser is already here.
		rw := &recordingWriter{header: w.Header()}
		next.ServeHTTP(rw, req)
		var body struct{ Token string }
		_ = json.Unmarshal(rw.body.Bytes(), &body)
		r.mu.Lock()
		e.Status, e.Set, e.Token, e.End = rw.status(), refreshSetCookie(w.Header()), body.Token, time.Now()
		r.mu.Unlock()
		w.WriteHeader(rw.status())
		_, _ = w.Write(rw.body.Bytes())
	})
}

// hold holds back every request matching match that arrives until release
// is called (also at the end of the test, so nothing stays stuck).
func (r *recorder) hold(t *testing.T, match func(exchange) bool) (release func()) {
	h := &hold{match: match, released: make(chan struct{})}
	r.mu.Lock()
	r.holds[h] = true
	r.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.holds, h)
			r.mu.Unlock()
			close(h.released)
		})
	}
	t.Cleanup(release)
	return release
}

// find returns copies of the exchanges matching match, oldest first.
func (r *recorder) find(match func(exchange) bool) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []exchange
	for _, e := range r.ex {
		if match(*e) {
			out = append(out, *e)
		}
	}
	return out
}

// await polls until match finds at least n exchanges and returns them. It
// waits for what the test set in motion (a refresh the SPA must make), so
// the timeout is a bound for a stuck test, not a timing assertion.
func (r *recorder) await(t *testing.T, what string, n int, timeout time.Duration, match func(exchange) bool) []exchange {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := r.find(match); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; identity server saw:\n%s", timeout, what, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// String lists the refresh-relevant exchanges for failure messages.
func (r *recorder) String() string {
	var b strings.Builder
	for _, e := range r.find(func(e exchange) bool { return e.Method == http.MethodPost }) {
		b.WriteString(e.Start.Format("15:04:05.000") + " " + e.Method + " " + e.Path + " tag=" + e.Tag +
			" presented=" + short(e.Presented) + " status=" + http.StatusText(e.Status) + " set=" + short(e.Set) + "\n")
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}

// refreshSetCookie is the refresh_token value a response sets ("" when it
// sets none or deletes it).
func refreshSetCookie(h http.Header) string {
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == "refresh_token" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

// recordingWriter buffers an answer (the identity server's are small JSON
// documents and the SDK script) so it can be recorded before it is sent.
type recordingWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recordingWriter) Header() http.Header { return w.header }

func (w *recordingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recordingWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// Flush is a no-op: the reverse proxy flushes streamed answers, and this
// one is sent whole.
func (w *recordingWriter) Flush() {}

func (w *recordingWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
