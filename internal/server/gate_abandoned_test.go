package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientsThatHangUpAreNotRefusals: a login queued at a full hashing
// gate whose client goes away is counted as abandoned, not as a busy
// refusal (latchkey_hash_gate_refused_total is what an operator alerts
// on); one whose wait runs out is a refusal and not abandoned. Either way
// its queue place is given back and it never reaches the KDF.
func TestClientsThatHangUpAreNotRefusals(t *testing.T) {
	for _, tt := range []struct {
		name                     string
		wait                     time.Duration
		hangUp                   bool
		wantRefused, wantTheGone int64
	}{
		{"client gone", time.Hour, true, 0, 1},
		{"wait ran out", time.Millisecond, false, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newUnitServer(t)
			g := NewGate(Limits{HashConcurrency: 1, HashQueue: 1, HashWait: tt.wait})
			s.Gate = g
			b := newBlocker()
			hdl := stubbed(s, b.ServeHTTP)
			hold, ok := g.acquire(context.Background())
			if !ok {
				t.Fatal("the first slot was refused")
			}
			defer hold()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, apiLogin.path, strings.NewReader(apiLogin.body))
			req.Header.Set("Content-Type", apiLogin.contentType)
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() { hdl.ServeHTTP(rec, req); close(done) }()
			if tt.hangUp {
				waitQueued(t, g, 1, b)
				cancel()
			}
			<-done
			select {
			case p := <-b.entered:
				t.Fatalf("the request reached the KDF (%s)", p)
			default:
			}
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d %s, want the gate's 503", rec.Code, rec.Body)
			}
			if g.Refused() != tt.wantRefused || g.Abandoned() != tt.wantTheGone {
				t.Fatalf("refused %d abandoned %d, want %d and %d", g.Refused(), g.Abandoned(), tt.wantRefused, tt.wantTheGone)
			}
			if len(g.queue) != 0 {
				t.Fatalf("queue %d, want its place given back", len(g.queue))
			}
		})
	}
}
