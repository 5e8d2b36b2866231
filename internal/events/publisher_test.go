package events_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/events/sender"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const tenantID = "b54ca84b-aceb-4215-9678-473afdeaabed"

// world is a real store with a tenant sending user.create, and a
// publisher posting through the real sender.
func world(t *testing.T, tx string) (*sqlstorage.Store, *events.Publisher) {
	t.Helper()
	st := sqlstorage.OpenTest(t)
	ctx := context.Background()
	tn := storage.Tenant{ID: tenantID, Name: "Default", Issuer: "https://id.example.test", EventConfiguration: storage.EventConfiguration{
		Events: map[string]storage.EventConfigurationData{events.UserCreate: {Enabled: true, TransactionType: tx}}}}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	km := keys.New(st, keys.Options{})
	if err := km.Init(ctx); err != nil {
		t.Fatal(err)
	}
	pub := events.New(events.Config{Store: st, Signer: km, Poster: sender.New(sender.Options{}),
		Tenant: st.GetTenant, CacheTTL: -1})
	return st, pub
}

func hook(id, url string, global bool, tenants ...string) storage.Webhook {
	return storage.Webhook{ID: id, URL: url, ConnectTimeout: 1000, ReadTimeout: 1000, Global: global, TenantIDs: tenants,
		EventsEnabled: map[string]bool{events.UserCreate: true}}
}

func counting(status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
	}))
	return srv, &n
}

// TestPlanRouting: a webhook receives an event when it enables the type
// and is global or lists the tenant, and the tenant enables the type.
func TestPlanRouting(t *testing.T) {
	st, pub := world(t, events.TxNone)
	ctx := context.Background()
	for _, w := range []storage.Webhook{
		hook("w-global", "http://a.example.test", true),
		hook("w-listed", "http://b.example.test", false, tenantID),
		hook("w-other", "http://c.example.test", false, "another-tenant"),
		{ID: "w-off", URL: "http://d.example.test", Global: true, EventsEnabled: map[string]bool{events.UserCreate: false}},
	} {
		if err := st.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	pl, err := pub.Plan(ctx, tenantID, events.UserCreate)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := pub.Prepare(ctx, pl, &events.Event{})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("user.create: %d messages, %v; want 2 (global and listed)", len(msgs), err)
	}
	if pl, _ := pub.Plan(ctx, tenantID, events.UserDelete); !pl.Empty() {
		t.Fatal("user.delete is off in the tenant but planned")
	}
	var none *events.Publisher
	if pl, err := none.Plan(ctx, tenantID, events.UserCreate); err != nil || !pl.Empty() {
		t.Fatal("a nil publisher plans nothing")
	}
}

// TestTransactionalDelivery: a transactional event is posted before
// Prepare returns; too few successes is a *VetoError (errors.Is ErrVetoed)
// with no messages; enough returns messages for the failed webhooks only.
func TestTransactionalDelivery(t *testing.T) {
	for _, c := range []struct {
		tx       string
		veto     bool
		messages int
	}{{events.TxAbsoluteMajority, true, 0}, {events.TxSimpleMajority, false, 1}, {events.TxAny, false, 1}} {
		t.Run(c.tx, func(t *testing.T) {
			st, pub := world(t, c.tx)
			ctx := context.Background()
			ok, okHits := counting(http.StatusOK)
			defer ok.Close()
			bad, badHits := counting(http.StatusBadGateway)
			defer bad.Close()
			for _, w := range []storage.Webhook{hook("w-ok", ok.URL, true), hook("w-bad", bad.URL, true)} {
				if err := st.CreateWebhook(ctx, w); err != nil {
					t.Fatal(err)
				}
			}
			pl, err := pub.Plan(ctx, tenantID, events.UserCreate)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := pub.Prepare(ctx, pl, &events.Event{UserID: "u1"})
			if okHits.Load() != 1 || badHits.Load() != 1 {
				t.Fatalf("synchronous deliveries %d and %d", okHits.Load(), badHits.Load())
			}
			var veto *events.VetoError
			if c.veto != errors.As(err, &veto) || c.veto != errors.Is(err, events.ErrVetoed) || len(msgs) != c.messages {
				t.Fatalf("err %v, %d messages", err, len(msgs))
			}
		})
	}
}

// TestWorkerDelivers: messages go out through the outbox worker, a deleted
// webhook's delivery is dropped as permanent, and a failing receiver is
// retried with the same body.
func TestWorkerDelivers(t *testing.T) {
	st, pub := world(t, events.TxNone)
	ctx := context.Background()
	srv, hits := counting(http.StatusAccepted)
	defer srv.Close()
	must(t, st.CreateWebhook(ctx, hook("w-1", srv.URL, true)))
	must(t, st.CreateWebhook(ctx, hook("w-gone", srv.URL, true)))
	pl, err := pub.Plan(ctx, tenantID, events.UserCreate)
	must(t, err)
	msgs, err := pub.Prepare(ctx, pl, &events.Event{UserID: "u1"})
	must(t, err)
	must(t, st.EnqueueOutbox(ctx, msgs...))
	must(t, st.DeleteWebhook(ctx, "w-gone"))
	var mu sync.Mutex
	var outcomes []string
	w, err := outbox.New(outbox.Config{Store: st, Queue: events.Queue, Deliver: pub.Deliver,
		Observe: func(o outbox.Outcome) { mu.Lock(); outcomes = append(outcomes, o.Result); mu.Unlock() }})
	must(t, err)
	n, err := w.Poll(ctx)
	must(t, err)
	if n != 2 || hits.Load() != 1 || len(outcomes) != 2 {
		t.Fatalf("claimed %d, delivered %d, outcomes %v", n, hits.Load(), outcomes)
	}
	dead, err := st.ListOutbox(ctx, storage.OutboxFilter{Queue: events.Queue, State: storage.OutboxDead})
	must(t, err)
	if len(dead) != 1 || dead[0].Attempts != 1 {
		t.Fatalf("the deleted webhook's delivery: %+v", dead)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
