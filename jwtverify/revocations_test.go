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

// TestRevocationSetFailsClosed: a full set evicts the entry expiring first
// and from then on refuses every token issued no later than the newest
// revocation it evicted; expired entries go without raising that floor.
func TestRevocationSetFailsClosed(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return now.Add(time.Duration(n) * time.Second) }
	type query struct {
		sid  string
		iat  time.Time
		want bool
	}
	tests := []struct {
		name  string
		run   func(s *revocationSet)
		size  int
		check []query
	}{
		{"not full: only revoked sids", func(s *revocationSet) {
			s.add("a", sec(0), sec(60), now)
			s.add("b", sec(1), sec(61), now)
		}, 2, []query{{"a", sec(5), true}, {"b", sec(5), true}, {"c", sec(-100), false}}},
		{"full: soonest expiry evicted, older tokens refused", func(s *revocationSet) {
			s.add("a", sec(0), sec(60), now)
			s.add("b", sec(2), sec(62), now)
			s.add("c", sec(1), sec(61), now) // evicts a: floor = 0 s
		}, 2, []query{{"a", sec(0), true}, {"a", sec(1), false}, {"z", sec(0), true}, {"z", time.Time{}, true},
			{"b", sec(9), true}, {"c", sec(9), true}}},
		{"flood of later revocations: floor follows the newest evicted", func(s *revocationSet) {
			s.add("victim", sec(0), sec(60), now)
			for i := range 10 {
				s.add("x-"+strconv.Itoa(i), sec(i+1), sec(i+61), now)
			}
		}, 2, []query{{"victim", sec(0), true}, {"victim", sec(8), true}, {"other", sec(8), true},
			{"fresh", sec(9), false}, {"x-9", sec(30), true}}},
		{"re-revoking a sid extends it, no eviction", func(s *revocationSet) {
			s.add("a", sec(0), sec(60), now)
			s.add("b", sec(1), sec(61), now)
			s.add("a", sec(5), sec(65), now)
			s.add("c", sec(6), sec(66), now) // evicts b, the soonest now
		}, 2, []query{{"a", sec(10), true}, {"b", sec(2), false}, {"b", sec(1), true}}},
		{"expired entries go first, floor untouched", func(s *revocationSet) {
			s.add("a", sec(0), sec(60), now)
			s.add("b", sec(1), sec(61), now)
			s.add("c", sec(100), sec(160), sec(90)) // a and b expired by then
		}, 1, []query{{"a", sec(0), false}, {"z", time.Time{}, false}, {"c", sec(120), true}}},
		{"already expired is not remembered", func(s *revocationSet) {
			s.add("d", sec(-70), sec(-10), now)
		}, 0, []query{{"d", sec(-70), false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newRevocationSet(2)
			tc.run(s)
			if s.len() != tc.size || len(s.heap) != tc.size {
				t.Fatalf("size %d (heap %d), want %d", s.len(), len(s.heap), tc.size)
			}
			for _, q := range tc.check {
				if got := s.revoked(q.sid, q.iat); got != q.want {
					t.Errorf("revoked(%s, iat %v) = %v, want %v", q.sid, q.iat.Sub(now), got, q.want)
				}
			}
		})
	}
}

// TestRevocationFloodDoesNotReviveVictim is the review finding end to end:
// with room for two sessions, an attacker's three logouts after the
// victim's must not make the victim's stolen token valid again; a token
// issued after the flood still verifies.
func TestRevocationFloodDoesNotReviveVictim(t *testing.T) {
	p := newIDP(t)
	feed := newFeed(t, p.clock.Now())
	v := p.verifier(t, func(c *Config) {
		c.RevocationURL, c.ClientID, c.ClientSecret = feed.srv.URL, store, "s3cret"
		c.MaxTokenLifetime, c.MaxRevocations = 10*time.Minute, 2
	})
	ctx := context.Background()
	stolen := p.token(t, "ec-1", p.claims()) // sid rt-1
	feed.revoke("rt-1")
	must(t, v.PollRevocations(ctx))
	p.clock.Advance(time.Second)
	feed.mu.Lock()
	feed.at = p.clock.Now()
	feed.mu.Unlock()
	feed.revoke("x-1", "x-2", "x-3")
	must(t, v.PollRevocations(ctx))
	if v.Revoked() != 2 {
		t.Fatalf("remembered %d sessions, want the cap, 2", v.Revoked())
	}
	if _, err := v.Verify(ctx, stolen); !errors.Is(err, ErrRevoked) {
		t.Fatalf("the victim's revoked session was revived by the flood: %v", err)
	}
	p.clock.Advance(time.Second)
	fresh := p.claims()
	fresh["sid"] = "rt-2"
	if _, err := v.Verify(ctx, p.token(t, "ec-1", fresh)); err != nil {
		t.Fatalf("a token issued after the evictions was refused: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
