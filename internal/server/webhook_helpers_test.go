package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A webhook receiver for the tests: a real HTTP server (httptest) that
// records every request. It answers status (200 by default); while hold is
// set it keeps each request open until released or the client gives up.

type delivery struct {
	header http.Header
	body   []byte
	event  map[string]any
}

type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	got     []delivery
	status  int
	hold    chan struct{} // non-nil: requests wait for it to close
	arrived chan struct{} // one value per request, as it arrives
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, status: http.StatusOK, arrived: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct {
			Event map[string]any `json:"event"`
		}
		_ = json.Unmarshal(body, &env)
		r.mu.Lock()
		r.got = append(r.got, delivery{header: req.Header.Clone(), body: body, event: env.Event})
		status, hold := r.status, r.hold
		r.mu.Unlock()
		r.arrived <- struct{}{}
		if hold != nil {
			select {
			case <-hold:
			case <-req.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() {
		r.release()
		r.srv.Close()
	})
	return r
}

// answer makes later requests get status.
func (r *receiver) answer(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

// holdAll makes later requests wait until release.
func (r *receiver) holdAll() {
	r.mu.Lock()
	r.hold = make(chan struct{})
	r.mu.Unlock()
}

func (r *receiver) release() {
	r.mu.Lock()
	if r.hold != nil {
		close(r.hold)
		r.hold = nil
	}
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor waits (at most 20 s: a generous bound for a loaded machine, not
// a speed check) until the receiver has a delivery of type typ, and
// returns the deliveries of that type.
func (r *receiver) waitFor(typ string, n int) []delivery {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		var of []delivery
		for _, d := range r.deliveries() {
			if d.event["type"] == typ {
				of = append(of, d)
			}
		}
		if len(of) >= n {
			return of
		}
		select {
		case <-r.arrived:
		case <-deadline:
			r.t.Fatalf("no %d %s deliveries within 20 s; got %d", n, typ, len(of))
		}
	}
}

// waitMatch waits (at most 20 s, like waitFor) for a delivery that match
// accepts and returns it.
func (r *receiver) waitMatch(t testing.TB, match func(delivery) bool) delivery {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		for _, d := range r.deliveries() {
			if match(d) {
				return d
			}
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("no matching delivery within 20 s; got %d deliveries", len(r.deliveries()))
		}
	}
}

// webhookTuning polls the webhook queue often and retries after a second of
// the test's clock, so deliveries happen during the test.
var webhookTuning = outbox.Config{PollInterval: 20 * time.Millisecond, BaseBackoff: time.Second, MaxBackoff: time.Second}

// allEvents turns every event latchkey sends on in the tenant, as
// transactionType None.
func allEvents(_ map[string]*storage.Application, tn *storage.Tenant) {
	tn.EventConfiguration.Events = map[string]storage.EventConfigurationData{}
	for _, t := range events.Sent {
		tn.EventConfiguration.Events[t] = storage.EventConfigurationData{Enabled: true, TransactionType: "None"}
	}
}

// webhookBody is a webhook creation body for url receiving types.
func webhookBody(url string, types []string, extra string) string {
	enabled := map[string]bool{}
	for _, t := range types {
		enabled[t] = true
	}
	b, _ := json.Marshal(enabled)
	return `{"webhook":{"url":"` + url + `","connectTimeout":1000,"readTimeout":2000,"global":true,"eventsEnabled":` + string(b) + extra + `}}`
}

// verifySignature checks X-FusionAuth-Signature-JWT as a receiver would:
// the JWS verifies with the key the server publishes under its kid
// (/.well-known/jwks.json), and its one claim is the Base64 SHA-256 of the
// exact body.
func verifySignature(t testing.TB, s *stack, d delivery) string {
	t.Helper()
	sig := d.header.Get(events.SignatureHeader)
	if sig == "" {
		t.Fatalf("no %s header", events.SignatureHeader)
	}
	jws, err := jose.ParseSignedCompact(sig, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("signature is not a JWS: %v", err)
	}
	var set jose.JSONWebKeySet
	res := s.do(call{method: "GET", path: "/.well-known/jwks.json"})
	must(t, json.Unmarshal(res.body, &set))
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not published", kid)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature does not verify with the published key: %v", err)
	}
	var claims map[string]any
	must(t, json.Unmarshal(payload, &claims))
	sum := sha256.Sum256(d.body)
	if len(claims) != 1 || claims["request_body_sha256"] != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("signature claims %v do not match the body", claims)
	}
	return kid
}

// activeKID is the kid of the active key of alg, from the JWKS.
func activeKID(t testing.TB, s *stack, alg string) string {
	t.Helper()
	var set jose.JSONWebKeySet
	must(t, json.Unmarshal(s.do(call{method: "GET", path: "/.well-known/jwks.json"}).body, &set))
	for _, k := range set.Keys {
		if k.Algorithm == alg {
			return k.KeyID
		}
	}
	t.Fatalf("no %s key published", alg)
	return ""
}
