package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestWebhookAPI pins the webhook API (apis/webhooks) with golden files:
// create, retrieve (the Basic password is never returned), list, search,
// update (a blank password keeps the stored one), patch, delete; every
// invalid field refused with FusionAuth's codes; a tenant-scoped key is
// refused on this global API; the tenant's eventConfiguration is checked.
func TestWebhookAPI(t *testing.T) {
	s := newStack(t)
	kid := activeKID(t, s, "ES256")
	const id = "0f1a2b3c-0000-4000-8000-0000000000f1"
	hook := `{"webhook":{"url":"https://hooks.example.test/latchkey","connectTimeout":1000,"readTimeout":2000,` +
		`"description":"Audit","global":false,"tenantIds":["` + tenantID + `"],"eventsEnabled":{"user.create":true,"user.delete":false},` +
		`"headers":{"X-Env":"test"},"httpAuthenticationUsername":"hook","httpAuthenticationPassword":"s3cret",` +
		`"signatureConfiguration":{"enabled":true,"signingKeyId":"` + kid + `"},"data":{"owner":"ops"}}}`
	for _, c := range []struct{ name, method, path, body string }{
		{"webhook-create", "POST", "/api/webhook/" + id, hook},
		{"webhook-duplicate", "POST", "/api/webhook/" + id, hook},
		{"webhook-get", "GET", "/api/webhook/" + id, ""},
		{"webhook-list", "GET", "/api/webhook", ""},
		{"webhook-search", "POST", "/api/webhook/search", `{"search":{"description":"aud","numberOfResults":10}}`},
		{"webhook-search-get", "GET", "/api/webhook/search?url=nomatch", ""},
		{"webhook-put", "PUT", "/api/webhook/" + id, strings.Replace(hook, `"s3cret"`, `""`, 1)},
		{"webhook-patch", "PATCH", "/api/webhook/" + id, `{"webhook":{"eventsEnabled":{"jwt.refresh":true},"readTimeout":5000}}`},
		{"webhook-invalid", "POST", "/api/webhook", `{"webhook":{"url":"ftp://user:pw@hooks.example.test/#x","connectTimeout":-1,` +
			`"readTimeout":999999,"eventsEnabled":{"user.explode":true},"tenantIds":["0f1a2b3c-0000-4000-8000-0000000000ff"],` +
			`"headers":{"Bad Name":"x","X-Ok":"line\r\nInjected: yes","Authorization":"Bearer x"},` +
			`"signatureConfiguration":{"enabled":true,"signingKeyId":"nope"},"sslCertificateKeyId":"0f1a2b3c-0000-4000-8000-0000000000fe"}}`},
		{"webhook-blank", "POST", "/api/webhook", `{"webhook":{"signatureConfiguration":{"enabled":true}}}`},
		{"webhook-missing", "POST", "/api/webhook", `{}`},
		{"webhook-get-unknown", "GET", "/api/webhook/0f1a2b3c-0000-4000-8000-0000000000f2", ""},
	} {
		res := s.do(call{method: c.method, path: c.path, body: c.body, hdr: admin})
		managementGolden(t, c.name, res.status, res.body)
	}
	stored, err := s.Store.GetWebhook(context.Background(), id)
	must(t, err)
	if stored.HTTPAuthenticationPassword != "s3cret" {
		t.Fatalf("a PUT with a blank password changed the stored one to %q", stored.HTTPAuthenticationPassword)
	}
	scoped := tenantScopedKey(t, s)
	for _, m := range []string{"GET", "DELETE"} {
		if res := s.do(call{method: m, path: "/api/webhook/" + id, hdr: map[string]string{"Authorization": scoped}}); res.status != http.StatusForbidden {
			t.Fatalf("%s with a tenant-scoped key: %d", m, res.status)
		}
	}
	res := s.do(call{method: "DELETE", path: "/api/webhook/" + id, hdr: admin})
	managementGolden(t, "webhook-delete", res.status, res.body)
	if res := s.do(call{method: "GET", path: "/api/webhook/" + id, hdr: admin}); res.status != 404 {
		t.Fatalf("get after delete: %d", res.status)
	}
	res = s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"eventConfiguration":{"events":{` +
		`"user.explode":{"enabled":true},"user.create":{"enabled":true,"transactionType":"Most"},` +
		`"user.login.failed":{"enabled":true,"transactionType":"Any"},"user.password.update":{"enabled":true,"transactionType":"AbsoluteMajority"}}}}}`})
	managementGolden(t, "tenant-event-configuration-invalid", res.status, res.body)
	res = s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"eventConfiguration":{"events":{` +
		`"user.create":{"enabled":true,"transactionType":"SimpleMajority"},"user.delete":{"enabled":true}}}}}`})
	wantStatus(t, res, 200)
	var got struct {
		Tenant struct {
			EventConfiguration json.RawMessage `json:"eventConfiguration"`
		} `json:"tenant"`
	}
	must(t, json.Unmarshal(res.body, &got))
	golden(t, "management/tenant-event-configuration", noPlaceholders, 0, got.Tenant.EventConfiguration)
}

// tenantScopedKey creates an API key limited to the default tenant.
func tenantScopedKey(t *testing.T, s *stack) string {
	t.Helper()
	res := s.do(call{method: "POST", path: "/api/api-key", hdr: admin, body: `{"apiKey":{"tenantId":"` + tenantID + `"}}`})
	wantStatus(t, res, 200)
	return res.json(t)["apiKey"].(map[string]any)["key"].(string)
}

// TestTransactionalWebhooksVeto: with user.create AbsoluteMajority, a
// webhook that fails makes the create answer 504 [WebhookTransactionException]
// and nothing is stored, no user and no outbox row; with SimpleMajority one
// success of two lets it commit and only the failed webhook gets a queued
// retry. A transactional user.login.success that fails refuses the login:
// no refresh token, lastLoginInstant unchanged.
func TestTransactionalWebhooksVeto(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.EventConfiguration.Events = map[string]storage.EventConfigurationData{
			events.UserCreate:       {Enabled: true, TransactionType: "AbsoluteMajority"},
			events.UserLoginSuccess: {Enabled: true, TransactionType: "Any"},
		}
	})
	good, bad := newReceiver(t), newReceiver(t)
	bad.answer(http.StatusServiceUnavailable)
	createHook(t, s, webhookBody(good.srv.URL, []string{events.UserCreate}, ""))
	badID := createHook(t, s, webhookBody(bad.srv.URL, []string{events.UserCreate, events.UserLoginSuccess}, ""))
	create := call{method: "POST", path: "/api/user/" + bobID, hdr: admin, body: `{"user":{"email":"bob@example.test","password":"a long enough password"}}`}
	res := s.do(create)
	managementGolden(t, "webhook-transaction-refused", res.status, res.body)
	if _, err := s.Store.GetUser(context.Background(), bobID); err == nil {
		t.Fatal("the user was created although its webhooks refused")
	}
	if msgs := webhookMessages(t, s); len(msgs) != 0 || len(good.deliveries()) != 1 || len(bad.deliveries()) != 1 {
		t.Fatalf("refused create: %d rows, deliveries %d and %d", len(msgs), len(good.deliveries()), len(bad.deliveries()))
	}

	wantStatus(t, s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
		body: `{"tenant":{"eventConfiguration":{"events":{"user.create":{"enabled":true,"transactionType":"SimpleMajority"}}}}}`}), 200)
	wantStatus(t, s.do(create), 200)
	msgs := webhookMessages(t, s)
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Payload), badID) {
		t.Fatalf("after a committed transactional event, want one retry for the failed webhook, got %d rows", len(msgs))
	}

	before, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	res = s.login(storeApp, nil)
	managementGolden(t, "webhook-transaction-refused-login", res.status, res.body)
	after, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	tokens, err := s.Store.ListRefreshTokens(context.Background(), aliceID)
	must(t, err)
	if after.LastLoginInstant != before.LastLoginInstant || len(tokens) != 0 {
		t.Fatalf("a refused login left lastLoginInstant %d (was %d) and %d refresh tokens", after.LastLoginInstant, before.LastLoginInstant, len(tokens))
	}
}
