package jwtverify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// feedServer is a fake revocation feed: it checks the client credentials
// and serves what the test revoked after the cursor it handed out.
type feedServer struct {
	mu      sync.Mutex
	entries []string // sids, the cursor is an index
	at      time.Time
	srv     *httptest.Server
}

func newFeed(t *testing.T, at time.Time) *feedServer {
	f := &feedServer{at: at}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, sec, ok := r.BasicAuth(); !ok || id != store || sec != "s3cret" {
			w.WriteHeader(401)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		from := 0
		if c := r.URL.Query().Get("since"); c != "" {
			from = int(c[0] - 'a')
		}
		end := min(from+2, len(f.entries)) // pages of two: exercises "more"
		w.Write([]byte(`{"revocations":[`))
		for i, sid := range f.entries[from:end] {
			if i > 0 {
				w.Write([]byte(","))
			}
			w.Write([]byte(`{"sid":"` + sid + `","userId":"u","revokedAt":` + strconv.FormatInt(f.at.UnixMilli(), 10) + `}`))
		}
		more := "false"
		if end < len(f.entries) {
			more = "true"
		}
		w.Write([]byte(`],"cursor":"` + string(rune('a'+end)) + `","more":` + more + `}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feedServer) revoke(sids ...string) {
	f.mu.Lock()
	f.entries = append(f.entries, sids...)
	f.mu.Unlock()
}

func TestRevocationPoller(t *testing.T) {
	p := newIDP(t)
	feed := newFeed(t, p.clock.Now())
	v := p.verifier(t, func(c *Config) {
		c.RevocationURL, c.ClientID, c.ClientSecret = feed.srv.URL, store, "s3cret"
		c.MaxTokenLifetime = 10 * time.Minute
	})
	ctx := context.Background()
	tok := p.token(t, "ec-1", p.claims()) // sid rt-1
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	feed.revoke("x-1", "x-2", "rt-1", "x-3", "x-4")
	if err := v.PollRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) || !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked session accepted: %v", err)
	}
	if v.Revoked() != 5 {
		t.Fatalf("remembered %d sessions, want 5 (all pages in one poll)", v.Revoked())
	}
	// Past the longest token lifetime the entries are forgotten.
	p.clock.Advance(11 * time.Minute)
	if err := v.PollRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if v.Revoked() != 0 {
		t.Fatalf("expired entries kept: %d", v.Revoked())
	}
}

func TestRevocationPollerRefusals(t *testing.T) {
	p := newIDP(t)
	feed := newFeed(t, p.clock.Now())
	v := p.verifier(t, func(c *Config) { c.RevocationURL, c.ClientID, c.ClientSecret = feed.srv.URL, store, "wrong" })
	if err := v.PollRevocations(context.Background()); err == nil {
		t.Fatal("a 401 from the feed was not reported")
	}
	if _, err := New(context.Background(), Config{JWKSURL: "x", Audience: "a", RevocationURL: "http://x"}); err == nil {
		t.Fatal("RevocationURL without ClientID accepted")
	}
}

// Start polls until its context ends; the polled hook replaces sleeping.
func TestRevocationStart(t *testing.T) {
	p := newIDP(t)
	feed := newFeed(t, p.clock.Now())
	v := p.verifier(t, func(c *Config) {
		c.RevocationURL, c.ClientID, c.ClientSecret = feed.srv.URL, store, "s3cret"
		c.RevocationPollInterval = time.Millisecond
	})
	v.polled = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Start(ctx) }()
	<-v.polled
	feed.revoke("rt-1")
	// The poll in flight may have read the feed before the revocation;
	// the one after it began after it.
	<-v.polled
	<-v.polled
	if _, err := v.Verify(ctx, p.token(t, "ec-1", p.claims())); !errors.Is(err, ErrRevoked) {
		t.Fatalf("err = %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Start returned %v", err)
	}
}

func TestRevocationSetBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newRevocationSet(2)
	s.add("a", now.Add(time.Minute), now)
	s.add("b", now.Add(3*time.Minute), now)
	s.add("c", now.Add(2*time.Minute), now)
	if s.has("a") || !s.has("b") || !s.has("c") {
		t.Fatal("the entry expiring first should have gone")
	}
	s.add("d", now.Add(-time.Second), now)
	if s.has("d") {
		t.Fatal("an already-expired session was remembered")
	}
}
