package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestWebhookEvents walks the events latchkey sends through the real App to
// a real HTTP receiver and pins each body with a golden file (FusionAuth's
// event JSON, ids and instants normalised): user create, update,
// registration, password update, email verified, login success and
// failure, refresh, logout's revocation, reuse detection, deactivate,
// reactivate, delete, key rotation and the bulk import. Every delivery is
// signed with the configured key, verifiable with the published JWKS, and
// carries the webhook's own headers and Basic credentials; every event has
// its own id.
func TestWebhookEvents(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	kid := activeKID(t, s, "ES256")
	res := s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: webhookBody(rec.srv.URL, events.Sent,
		`,"headers":{"X-Tenant-Region":"eu"},"httpAuthenticationUsername":"hook","httpAuthenticationPassword":"pw",`+
			`"signatureConfiguration":{"enabled":true,"signingKeyId":"`+kid+`"}`)})
	if res.status != 200 {
		t.Fatalf("create webhook: %d %s", res.status, res.body)
	}

	steps := []struct {
		typ string
		do  func() string // returns the golden name
	}{
		{events.UserCreate, func() string {
			r := s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
				body: `{"user":{"email":"bob@example.test","password":"a long enough password","firstName":"Bob","data":{"plan":"pro"}}}`})
			wantStatus(t, r, 200)
			return "user-create"
		}},
		{events.UserUpdate, func() string {
			wantStatus(t, s.do(call{method: "PATCH", path: "/api/user/" + bobID, hdr: admin, body: `{"user":{"lastName":"Builder"}}`}), 200)
			return "user-update"
		}},
		{events.UserRegistrationCreate, func() string {
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/registration/" + bobID, hdr: admin,
				body: `{"registration":{"applicationId":"` + storeApp + `","roles":["user"]}}`}), 200)
			return "user-registration-create"
		}},
		{events.UserPasswordUpdate, func() string {
			wantStatus(t, s.do(call{method: "PATCH", path: "/api/user/" + bobID, hdr: admin, body: `{"user":{"password":"another long password"}}`}), 200)
			return "user-password-update"
		}},
		{events.UserEmailVerified, func() string {
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/verify-email", hdr: admin, body: `{"userId":"` + bobID + `"}`}), 200)
			return "user-email-verified"
		}},
		{events.UserLoginSuccess, func() string {
			wantStatus(t, s.login(storeApp, map[string]string{"User-Agent": "webhook-test"}), 200)
			return "user-login-success"
		}},
		{events.UserLoginFailed, func() string {
			wantStatus(t, s.do(call{method: "POST", path: "/api/login", hdr: map[string]string{"User-Agent": "webhook-test"},
				body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`}), 404)
			return "user-login-failed"
		}},
	}
	for _, st := range steps {
		name := st.do()
		d := rec.waitFor(st.typ, 1)
		eventGolden(t, name, d[len(d)-1])
	}

	// Refresh, reuse and logout need a session.
	login := s.login(storeApp, nil).json(t)
	rt := login["refreshToken"].(string)
	refreshed := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`})
	wantStatus(t, refreshed, 200)
	eventGolden(t, "jwt-refresh", rec.waitFor(events.JWTRefresh, 1)[0])
	s.Clock.Advance(2 * time.Minute) // past the retry window (60 s when no grace is set): the old value is reuse now
	wantStatus(t, s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`}), 404)
	eventGolden(t, "jwt-refresh-token-reuse", rec.waitFor(events.JWTRefreshTokenReuse, 1)[0])
	eventGolden(t, "jwt-refresh-token-revoke-reuse", rec.waitFor(events.JWTRefreshTokenRevoke, 1)[0])

	session := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	wantStatus(t, s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + session + `"}`}), 200)
	eventGolden(t, "jwt-refresh-token-revoke-logout", rec.waitFor(events.JWTRefreshTokenRevoke, 2)[1])

	wantStatus(t, s.do(call{method: "DELETE", path: "/api/user/" + bobID, hdr: admin}), 200)
	eventGolden(t, "user-deactivate", rec.waitFor(events.UserDeactivate, 1)[0])
	wantStatus(t, s.do(call{method: "PUT", path: "/api/user/" + bobID + "?reactivate=true", hdr: admin}), 200)
	eventGolden(t, "user-reactivate", rec.waitFor(events.UserReactivate, 1)[0])
	wantStatus(t, s.do(call{method: "DELETE", path: "/api/user/" + bobID + "?hardDelete=true", hdr: admin}), 200)
	eventGolden(t, "user-delete", rec.waitFor(events.UserDelete, 1)[0])
	wantStatus(t, s.do(call{method: "POST", path: "/api/key/rotate", hdr: admin, body: `{"algorithm":"ES256"}`}), 200)
	eventGolden(t, "jwt-public-key-update", rec.waitFor(events.JWTPublicKeyUpdate, 1)[0])
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: `{"users":[{"email":"carol@example.test",` +
		`"password":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy","encryptionScheme":"bcrypt","active":true}]}`}), 200)
	eventGolden(t, "user-bulk-create", rec.waitFor(events.UserBulkCreate, 1)[0])

	ids := map[any]bool{}
	for _, d := range rec.deliveries() {
		if ids[d.event["id"]] {
			t.Errorf("event id %v delivered twice", d.event["id"])
		}
		ids[d.event["id"]] = true
		if d.header.Get("X-Tenant-Region") != "eu" || d.header.Get("Content-Type") != "application/json" {
			t.Errorf("%v: headers %v", d.event["type"], d.header)
		}
		if u, p, ok := (&http.Request{Header: d.header}).BasicAuth(); !ok || u != "hook" || p != "pw" {
			t.Errorf("%v: basic credentials %q %q", d.event["type"], u, p)
		}
		// Signed with the configured key until the rotation, then with the
		// active key that replaced it (keys.Manager.SignWithKey).
		verifySignature(t, s, d)
	}
}

func wantStatus(t *testing.T, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// eventGolden pins one delivered event's body (testdata/events/<name>.json)
// with the management normalisation (ids and instants).
func eventGolden(t *testing.T, name string, d delivery) {
	t.Helper()
	if strings.Contains(string(d.body), "password\"") || strings.Contains(string(d.body), "\"salt") {
		t.Errorf("%s: the event carries password material: %s", name, d.body)
	}
	golden(t, "events/"+name, managementPlaceholders, 0, d.body)
}
