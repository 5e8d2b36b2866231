package server_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// pingView is what a login ping changes: alice's lastLoginInstant, her
// Store registration's, and her recent logins.
type pingView struct {
	user, store float64
	logins      []any
}

func (s *stack) pingView(userID string) pingView {
	s.t.Helper()
	u := s.apiOK("GET", "/api/user/"+userID, nil)["user"].(map[string]any)
	v := pingView{}
	v.user, _ = u["lastLoginInstant"].(float64)
	regs, _ := u["registrations"].([]any)
	for _, r := range regs {
		if r := r.(map[string]any); r["applicationId"] == storeApp {
			v.store, _ = r["lastLoginInstant"].(float64)
		}
	}
	v.logins, _ = s.apiOK("GET", "/api/user/recent-login?userId="+userID, nil)["logins"].([]any)
	return v
}

// TestLoginPingRecordsLogin: PUT /api/login/{userId}/{applicationId}
// (loginPing) and PUT /api/login with a LoginPingRequest
// (loginPingWithRequest) record a login as POST /api/login does, without a
// credential: lastLoginInstant of the user and of the registration, and a
// login record with the application and the ipAddress. 200 without a body;
// 202 for an application the user is not registered for (the user's
// lastLoginInstant and the record only).
func TestLoginPingRecordsLogin(t *testing.T) {
	s := newStack(t)
	s.Clock.Advance(time.Hour)
	at := float64(s.Clock.Now().UnixMilli())
	res := s.api("PUT", "/api/login/"+aliceID+"/"+storeApp+"?ipAddress=203.0.113.7", nil)
	if res.status != 200 || len(res.body) != 0 {
		t.Fatalf("ping: %d %s, want 200 and no body", res.status, res.body)
	}
	v := s.pingView(aliceID)
	if v.user != at || v.store != at || len(v.logins) != 1 {
		t.Fatalf("after the ping: lastLoginInstant %v, registration %v, %d logins; want %v, %v, 1", v.user, v.store, len(v.logins), at, at)
	}
	if l := v.logins[0].(map[string]any); l["applicationId"] != storeApp || l["ipAddress"] != "203.0.113.7" || l["instant"] != at {
		t.Errorf("login record %v, want Store, 203.0.113.7, %v", l, at)
	}

	// Forums: alice is not registered for it.
	s.Clock.Advance(time.Minute)
	later := float64(s.Clock.Now().UnixMilli())
	if res := s.api("PUT", "/api/login/"+aliceID+"/"+forumsApp, nil); res.status != 202 || len(res.body) != 0 {
		t.Fatalf("ping for an application she is not registered for: %d %s, want 202", res.status, res.body)
	}
	v = s.pingView(aliceID)
	if v.user != later || v.store != at || len(v.logins) != 2 || v.logins[0].(map[string]any)["applicationId"] != forumsApp {
		t.Errorf("after the 202: lastLoginInstant %v (want %v), Store's %v (want %v), logins %v", v.user, later, v.store, at, v.logins)
	}

	// The JSON form; its ipAddress wins over the query's.
	s.Clock.Advance(time.Minute)
	last := float64(s.Clock.Now().UnixMilli())
	res = s.api("PUT", "/api/login?ipAddress=192.0.2.1", map[string]any{"userId": aliceID, "applicationId": storeApp, "ipAddress": "198.51.100.2"})
	if res.status != 200 {
		t.Fatalf("loginPingWithRequest: %d %s", res.status, res.body)
	}
	v = s.pingView(aliceID)
	if l := v.logins[0].(map[string]any); v.user != last || v.store != last || l["ipAddress"] != "198.51.100.2" || l["applicationId"] != storeApp {
		t.Errorf("after loginPingWithRequest: lastLoginInstant %v, Store's %v (want %v), record %v", v.user, v.store, last, l)
	}

	// Without an application: the user's instant only; a key holding PUT
	// on /api/login may ping.
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "pinger-key-0123456789abcdef0123",
		"permissions": map[string]any{"endpoints": map[string]any{"/api/login": []string{"PUT"}}}}})
	s.Clock.Advance(time.Minute)
	if res := s.api("PUT", "/api/login/"+aliceID, nil, "Authorization", "pinger-key-0123456789abcdef0123"); res.status != 200 {
		t.Fatalf("ping without an application: %d %s", res.status, res.body)
	}
	if v = s.pingView(aliceID); v.user != float64(s.Clock.Now().UnixMilli()) || v.store != last || len(v.logins) != 4 {
		t.Errorf("after a ping without an application: %v %v, %d logins", v.user, v.store, len(v.logins))
	}
}

// TestLoginPingRefused: a ping without an API key, with a key that does
// not hold PUT on /api/login, for an unknown, deactivated or other
// tenant's user, for an unknown, inactive or other tenant's application
// (400 [invalid]applicationId, as POST /api/login), or with a malformed id or
// body is refused with FusionAuth's status, and records nothing: no
// lastLoginInstant, no login record.
func TestLoginPingRefused(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	for _, k := range []struct{ key, endpoint, method string }{
		{"reader-key-0123456789abcdef0123", "/api/user", "GET"},
		{"poster-key-0123456789abcdef0123", "/api/login", "POST"},
	} {
		s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": k.key,
			"permissions": map[string]any{"endpoints": map[string]any{k.endpoint: []string{k.method}}}}})
	}
	bob := s.apiOK("POST", "/api/user", map[string]any{"user": map[string]any{"email": "bob@example.test", "password": "another long password"}})["user"].(map[string]any)["id"].(string)
	if res := s.api("DELETE", "/api/user/"+bob, nil); res.status != 200 {
		t.Fatalf("deactivate bob: %d %s", res.status, res.body)
	}
	const otherApp = "0f1a2b3c-0000-4000-8000-0000000000f6"
	must(t, s.Store.CreateApplication(context.Background(), storage.Application{ID: otherApp, TenantID: otherTenant,
		Name: "Other", Active: true, State: "Active", Roles: []storage.ApplicationRole{}}))
	if res := s.api("DELETE", "/api/application/"+forumsApp, nil); res.status != 200 {
		t.Fatalf("deactivate Forums: %d %s", res.status, res.body)
	}
	before, bobBefore := s.pingView(aliceID), s.pingView(bob)
	ping := "/api/login/" + aliceID + "/" + storeApp
	for _, c := range []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		code               string
	}{
		{"no key", "PUT", ping, nil, []string{"Authorization", ""}, 401, ""},
		{"no key, JSON", "PUT", "/api/login", map[string]any{"userId": aliceID}, []string{"Authorization", ""}, 401, ""},
		{"key without /api/login", "PUT", ping, nil, []string{"Authorization", "reader-key-0123456789abcdef0123"}, 401, ""},
		{"key with POST only", "PUT", ping, nil, []string{"Authorization", "poster-key-0123456789abcdef0123"}, 401, ""},
		{"key with POST only, JSON", "PUT", "/api/login", map[string]any{"userId": aliceID}, []string{"Authorization", "poster-key-0123456789abcdef0123"}, 401, ""},
		{"unknown user", "PUT", "/api/login/0f1a2b3c-0000-4000-8000-0000000000ee/" + storeApp, nil, nil, 404, ""},
		{"deactivated user", "PUT", "/api/login/" + bob, nil, nil, 404, ""},
		{"other tenant's user, scoped key", "PUT", "/api/login/" + otherUserID, nil, []string{"Authorization", scopedKey}, 404, ""},
		{"unknown application", "PUT", "/api/login/" + aliceID + "/0f1a2b3c-0000-4000-8000-0000000000ee", nil, nil, 400, "[invalid]applicationId"},
		{"inactive application", "PUT", "/api/login/" + aliceID + "/" + forumsApp, nil, nil, 400, "[invalid]applicationId"},
		{"other tenant's application", "PUT", "/api/login/" + aliceID + "/" + otherApp, nil, nil, 400, "[invalid]applicationId"},
		{"malformed user id", "PUT", "/api/login/alice/" + storeApp, nil, nil, 400, "[couldNotConvert]userId"},
		{"malformed application id", "PUT", "/api/login/" + aliceID + "/store", nil, nil, 400, "[couldNotConvert]applicationId"},
		{"JSON without userId", "PUT", "/api/login", map[string]any{"applicationId": storeApp}, nil, 400, "[blank]userId"},
		{"JSON malformed userId", "PUT", "/api/login", map[string]any{"userId": "alice"}, nil, 400, "[couldNotConvert]userId"},
		{"JSON not an object", "PUT", "/api/login", `[1]`, nil, 400, ""},
	} {
		res := s.api(c.method, c.path, c.body, c.hdr...)
		if res.status != c.status || !bytes.Contains(res.body, []byte(c.code)) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	after, bobAfter := s.pingView(aliceID), s.pingView(bob)
	if after.user != before.user || after.store != before.store || len(after.logins) != len(before.logins) {
		t.Errorf("a refused ping changed alice: %+v, was %+v", after, before)
	}
	if bobAfter.user != bobBefore.user || len(bobAfter.logins) != len(bobBefore.logins) {
		t.Errorf("a refused ping changed bob: %+v, was %+v", bobAfter, bobBefore)
	}
	if res := s.api("GET", "/api/user/recent-login?userId="+otherUserID, nil); res.status != 200 || bytes.Contains(res.body, []byte("instant")) {
		t.Errorf("the other tenant's user got a login record: %d %s", res.status, res.body)
	}
}
