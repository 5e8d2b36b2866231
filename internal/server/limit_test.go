package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// blocker is a slow fake for the password KDF: every password-verifying
// request that reaches it announces itself and waits until the test releases
// it; any other request is answered at once.
type blocker struct {
	entered chan string
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan string, 64), release: make(chan struct{})}
}

func (b *blocker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/api/login" && !strings.Contains(string(body), "grant_type=password") {
		w.WriteHeader(http.StatusOK)
		return
	}
	b.entered <- r.URL.Path
	<-b.release
	w.WriteHeader(http.StatusOK)
}

// waitQueued waits until n requests wait in g's queue. Without a limiter
// the request reaches b instead, which fails the test rather than hang.
func waitQueued(t *testing.T, g *Gate, n int, b *blocker) {
	t.Helper()
	for len(g.queue) != n {
		if b != nil {
			select {
			case p := <-b.entered:
				t.Fatalf("request beyond the slots reached the KDF (%s) instead of queueing", p)
			default:
			}
		}
		runtime.Gosched()
	}
}

type hashCall struct{ path, contentType, body string }

var (
	apiLogin      = hashCall{"/api/login", "application/json", `{"loginId":"a@example.test","password":"pw"}`}
	passwordGrant = hashCall{"/oauth2/token", "application/x-www-form-urlencoded", "grant_type=password&username=a&password=pw&client_id=x"}
	refreshGrant  = hashCall{"/oauth2/token", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=abc&client_id=x"}
	nativeRefresh = hashCall{"/api/jwt/refresh", "application/json", `{"refreshToken":"abc"}`}
)

func serveAsync(h http.Handler, c hashCall) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out <- rec
	}()
	return out
}

// TestHashLimitBoundsVerifications is security-bar.md L9 / §4.3: with every
// verification slot busy and the queue full, the next password request is
// refused at once with 503 + Retry-After in its endpoint's error format and
// never reaches the KDF; a queued request runs as soon as a slot frees; the
// refresh paths (no KDF) are not held back. It runs through the real
// middleware with the real route table, so it also pins which rows are
// marked as verifying a password.
func TestHashLimitBoundsVerifications(t *testing.T) {
	for _, tt := range []struct {
		name     string
		call     hashCall
		wantBody string
	}{
		{"native login", apiLogin, `"[TooManyRequests]"`},
		{"password grant", passwordGrant, `"error":"temporarily_unavailable"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newUnitServer(t)
			g := NewGate(Limits{HashConcurrency: 2, HashQueue: 1, HashWait: time.Hour})
			b := newBlocker()
			s.Gate = g
			hdl := stubbed(s, b.ServeHTTP)

			first, second := serveAsync(hdl, tt.call), serveAsync(hdl, tt.call)
			<-b.entered
			<-b.entered
			queued := serveAsync(hdl, tt.call)
			waitQueued(t, g, 1, b)

			refused := <-serveAsync(hdl, tt.call)
			if refused.Code != http.StatusServiceUnavailable || refused.Header().Get("Retry-After") == "" ||
				!strings.Contains(refused.Body.String(), tt.wantBody) {
				t.Fatalf("over the limit: %d %v %s", refused.Code, refused.Header(), refused.Body)
			}
			if refused.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Fatal("the refusal lost the security headers")
			}
			select {
			case p := <-b.entered:
				t.Fatalf("a refused or queued request reached the KDF (%s)", p)
			default:
			}

			// Requests that verify no password pass while every slot is busy.
			for _, c := range []hashCall{refreshGrant, nativeRefresh} {
				if rec := <-serveAsync(hdl, c); rec.Code != http.StatusOK {
					t.Fatalf("%s held back by the login limit: %d", c.path, rec.Code)
				}
			}

			b.release <- struct{}{} // one slot frees: the queued request runs
			<-b.entered
			close(b.release)
			for _, res := range []<-chan *httptest.ResponseRecorder{first, second, queued} {
				if rec := <-res; rec.Code != http.StatusOK {
					t.Fatalf("admitted request: %d %s", rec.Code, rec.Body)
				}
			}
			if len(g.slots) != 0 || len(g.queue) != 0 {
				t.Fatalf("slots %d queue %d not returned", len(g.slots), len(g.queue))
			}
		})
	}
}

// TestHashLimitQueueGivesUp: a queued request is refused when its wait runs
// out or its client goes away, and gives its queue place back either way.
func TestHashLimitQueueGivesUp(t *testing.T) {
	for _, tt := range []struct {
		name   string
		wait   time.Duration
		cancel bool
	}{
		{"wait expires", time.Nanosecond, false},
		{"client gone", time.Hour, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGate(Limits{HashConcurrency: 1, HashQueue: 1, HashWait: tt.wait})
			release, ok := g.acquire(context.Background())
			if !ok {
				t.Fatal("first acquire refused")
			}
			defer release()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var got bool
			wg.Add(1)
			go func() { defer wg.Done(); _, got = g.acquire(ctx) }()
			if tt.cancel {
				waitQueued(t, g, 1, nil)
				cancel()
			}
			wg.Wait()
			cancel()
			if got || len(g.queue) != 0 {
				t.Fatalf("acquired=%v queue=%d, want refused and an empty queue", got, len(g.queue))
			}
		})
	}
}

// TestHashLimitOversizedBodyNeverQueues is L8 at the limiter: a body over
// the limit is answered 413 by the handler while every slot and the queue
// are full, so it neither waits for nor reaches a KDF.
func TestHashLimitOversizedBodyNeverQueues(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Gate = fullGate(t)
	hdl := s.Handler()
	big := `{"loginId":"a@example.test","password":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, c := range []hashCall{
		{"/api/login", "application/json", big},
		{"/oauth2/token", "application/x-www-form-urlencoded", "grant_type=password&password=" + strings.Repeat("x", 1<<20)},
	} {
		t.Run(c.path, func(t *testing.T) {
			rec := <-serveAsync(hdl, c)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d %s, want 413", rec.Code, rec.Body)
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.withDefaults()
	if l.HashConcurrency != 4*runtime.GOMAXPROCS(0) || l.HashQueue != 4*l.HashConcurrency || l.HashWait <= 0 {
		t.Fatalf("defaults %+v", l)
	}
	if l := (Limits{HashQueue: -1}).withDefaults(); l.HashQueue != 0 {
		t.Fatalf("negative queue means none, got %d", l.HashQueue)
	}
}

// TestHashLimitHoldsTheRegistrationForm: the hosted registration form
// waits for a hashing slot whatever it carries (it hashes the new
// password), so with every slot busy and the queue full it is refused
// at once with the busy page, as the login form is.
func TestHashLimitHoldsTheRegistrationForm(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Gate = fullGate(t)
	token := strings.Repeat("c", 40)
	req := httptest.NewRequest(http.MethodPost, "/oauth2/register", strings.NewReader("csrf="+token+"&user.email=a%40example.test&user.password=a+long+passphrase"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("registration form with every slot busy: %d %v %.300s", rec.Code, rec.Header(), rec.Body)
	}
}

// fullGate is a gate whose one hashing slot is taken and whose one queue
// place is filled until the test ends: a request that must wait for a
// slot is refused at once.
func fullGate(t *testing.T) *Gate {
	t.Helper()
	g := NewGate(Limits{HashConcurrency: 1, HashQueue: 1, HashWait: time.Hour})
	hold, _ := g.acquire(context.Background())
	g.queue <- struct{}{}
	t.Cleanup(func() { <-g.queue; hold() })
	return g
}
