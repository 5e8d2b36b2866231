package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginRecords pins recent logins (users.mdx "Retrieve Recent Logins")
// and the login-record search (login/search.mdx): every successful login
// leaves one, newest first, with the application's name; a refused login
// leaves none.
func TestLoginRecords(t *testing.T) {
	s := newStack(t)
	first := s.Clock.Now()
	for range 2 {
		if res := s.login(storeApp, nil); res.status != 200 {
			t.Fatalf("login: %d", res.status)
		}
		s.Clock.Advance(time.Minute)
	}
	bad := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`})
	if bad.status != 404 {
		t.Fatalf("wrong password: %d", bad.status)
	}
	steps := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"logins-recent", "GET", "/api/user/recent-login?userId=" + aliceID + "&limit=5", nil, 200},
		{"logins-recent-all", "GET", "/api/user/recent-login?offset=1", nil, 200},
		{"logins-search", "POST", "/api/system/login-record/search", map[string]any{"search": map[string]any{
			"applicationId": storeApp, "start": first.UnixMilli(), "end": first.Add(time.Hour).UnixMilli()}, "retrieveTotal": true}, 200},
		{"logins-search-get", "GET", "/api/system/login-record/search?userId=" + aliceID + "&numberOfResults=1", nil, 200},
		{"logins-search-bad-window", "POST", "/api/system/login-record/search", map[string]any{"search": map[string]any{
			"start": 10, "end": 5}}, 400},
		{"logins-search-bad-number", "GET", "/api/system/login-record/search?start=yesterday", nil, 400},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api(st.method, st.path, st.body)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
		})
	}
}

// TestLoginRecordsTenantScope: a key scoped to a tenant reads only its
// tenant's login records.
func TestLoginRecordsTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	must(t, s.Store.RecordLogin(context.Background(), storage.Login{UserID: otherUserID, At: s.Clock.Now().UnixMilli(),
		Record: &storage.LoginRecord{ID: "other-login", UserID: otherUserID, TenantID: otherTenant, Instant: s.Clock.Now().UnixMilli()}}))
	s.login(storeApp, nil)
	all := s.apiOK("GET", "/api/user/recent-login", nil)["logins"].([]any)
	scoped := s.apiOK("GET", "/api/user/recent-login", nil, "Authorization", scopedKey)["logins"].([]any)
	if len(all) != 2 || len(scoped) != 1 || scoped[0].(map[string]any)["userId"] != aliceID {
		t.Fatalf("unscoped %v, scoped %v", all, scoped)
	}
	res := s.apiOK("GET", "/api/user/recent-login?userId="+otherUserID, nil, "Authorization", scopedKey)
	if n := len(res["logins"].([]any)); n != 0 {
		t.Fatalf("the scoped key read %d of another tenant's logins", n)
	}
}
