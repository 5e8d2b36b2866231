package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// TestKickstartDryRunSendsNoWebhook: a Kickstart that creates a webhook,
// makes user.create transactional and creates a user is rehearsed on a
// throwaway database first (decisions.md); the rehearsal must not post
// the event to the receiver, so it arrives once, from the real run.
func TestKickstartDryRunSendsNoWebhook(t *testing.T) {
	var hits atomic.Int32
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "hook") {
			hits.Add(1)
		}
	}))
	defer rec.Close()
	ks := `{"apiKeys":[{"key":"kickstart-key-0123456789abcdef"}],"requests":[
	  {"method":"POST","url":"/api/webhook","body":{"webhook":{"url":"` + rec.URL + `/hook","connectTimeout":1000,"readTimeout":1000,
	    "global":true,"eventsEnabled":{"user.create":true}}}},
	  {"method":"PATCH","url":"/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed","body":{"tenant":{"eventConfiguration":{"events":
	    {"user.create":{"enabled":true,"transactionType":"AbsoluteMajority"}}}}}},
	  {"method":"POST","url":"/api/user","body":{"user":{"email":"kick@example.test","password":"a long enough password"}}}]}`
	apptest.Start(t, apptest.Options{Kickstart: ks})
	if n := hits.Load(); n != 1 {
		t.Fatalf("the receiver got %d transactional deliveries, want 1 (the real run's)", n)
	}
}
