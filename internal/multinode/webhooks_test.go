package multinode

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// hookReceiver records webhook deliveries by event id. While holding, each
// request is kept open until the test lets go (or the client goes away).
type hookReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	byID    map[string]int
	order   []string
	hold    chan struct{}
	arrived chan string
}

func newHookReceiver(t *testing.T, delay time.Duration) *hookReceiver {
	r := &hookReceiver{byID: map[string]int{}, arrived: make(chan string, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var env struct {
			Event struct{ ID, Type string } `json:"event"`
		}
		_ = json.Unmarshal(b, &env)
		r.mu.Lock()
		r.byID[env.Event.ID]++
		r.order = append(r.order, env.Event.ID)
		hold := r.hold
		r.mu.Unlock()
		r.arrived <- env.Event.ID
		if hold != nil {
			select {
			case <-hold:
			case <-req.Context().Done():
				return
			}
		}
		time.Sleep(delay) // a receiver that takes its time: deliveries overlap
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.byID {
		out[k] = v
	}
	return out
}

// enableLoginEvents turns user.login.success on in the default tenant and
// creates a webhook for it at url, through nd's API.
func enableLoginEvents(t *testing.T, nd *node, apiKey, url string) {
	t.Helper()
	r := nd.do(t, "PATCH", "/api/tenant/"+manage.DefaultTenantID, map[string]any{"tenant": map[string]any{
		"eventConfiguration": map[string]any{"events": map[string]any{"user.login.success": map[string]any{"enabled": true}}}}},
		"Authorization", apiKey)
	if r.status != 200 {
		t.Fatalf("tenant eventConfiguration: %d %s", r.status, r.body)
	}
	r = nd.do(t, "POST", "/api/webhook", map[string]any{"webhook": map[string]any{"url": url, "connectTimeout": 1000,
		"readTimeout": 10000, "global": true, "eventsEnabled": map[string]bool{"user.login.success": true}}}, "Authorization", apiKey)
	if r.status != 200 {
		t.Fatalf("create webhook: %d %s", r.status, r.body)
	}
}

// TestWebhookEachEventOnceAcrossNodes: two nodes share PostgreSQL and both
// run the webhook worker; logins on both produce events, and every event
// reaches the receiver exactly once: a delivery is leased to one node at a
// time (FOR UPDATE SKIP LOCKED), and nothing fails, so nothing is retried.
// The receiver takes 50 ms per request so that the nodes' workers claim at
// the same time.
func TestWebhookEachEventOnceAcrossNodes(t *testing.T) {
	c := startCluster(t, 2, "LATCHKEY_WEBHOOK_LEASE=30s")
	rec := newHookReceiver(t, 50*time.Millisecond)
	enableLoginEvents(t, c.nodes[0], c.apiKey, rec.srv.URL)
	// The webhook and the tenant reach node B's caches through the change
	// feed within milliseconds, and through their TTL (at most 1 s) if the
	// feed were down: after 2 s every login on either node has its event.
	time.Sleep(2 * time.Second)
	const logins = 40
	for i := range logins {
		login(t, c.nodes[i%2], userEmail, raceApp)
	}
	deadline := time.After(60 * time.Second)
	for len(rec.counts()) < logins {
		select {
		case <-rec.arrived:
		case <-deadline:
			t.Fatalf("%d of %d events delivered within 60 s", len(rec.counts()), logins)
		}
	}
	time.Sleep(3 * time.Second) // a poll interval and more: a second delivery would show now
	for id, n := range rec.counts() {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}

// TestWebhookDeliverySurvivesKill9: a node killed with SIGKILL while a
// receiver holds its delivery open loses nothing: the event was committed
// with the login, its lease expires, and another node (started on the same
// database afterwards) delivers it again with the same event id.
func TestWebhookDeliverySurvivesKill9(t *testing.T) {
	dbURL := freshSchema(t)
	ks, apiKey := writeKickstart(t)
	env := []string{"LATCHKEY_WEBHOOK_LEASE=4s", "LATCHKEY_WEBHOOK_RETRY_BASE=1s"}
	a := launch(t, "nodeA", dbURL, ks, env...)
	a.waitReady(t)
	rec := newHookReceiver(t, 0)
	rec.hold = make(chan struct{})
	enableLoginEvents(t, a, apiKey, rec.srv.URL)
	login(t, a, userEmail, raceApp) // acknowledged: its event is in the outbox
	var first string
	select {
	case first = <-rec.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the first delivery did not arrive within 30 s")
	}
	if err := a.cmd.Process.Kill(); err != nil { // SIGKILL mid-delivery
		t.Fatal(err)
	}
	<-a.done
	rec.mu.Lock()
	close(rec.hold)
	rec.hold = nil
	rec.mu.Unlock()

	b := launch(t, "nodeB", dbURL, ks, env...)
	b.waitReady(t)
	select {
	case again := <-rec.arrived:
		if again != first {
			t.Fatalf("after the kill, event %s arrived instead of %s", again, first)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the interrupted delivery of %s was not made again within 60 s", first)
	}
	if got := rec.counts()[first]; got != 2 {
		t.Fatalf("event %s arrived %d times, want 2 (at least once: the interrupted attempt and the redelivery)", first, got)
	}
}
