package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	lockActionID  = "0f1a2b3c-0000-4000-8000-0000000000a7"
	awardActionID = "0f1a2b3c-0000-4000-8000-0000000000a8"
)

// TestUserActions pins the user action definitions (user-actions.mdx) and
// taking one on a user (actioning-users.mdx): a temporal action that
// prevents login, taken, modified and cancelled, and a plain one.
func TestUserActions(t *testing.T) {
	s := newStack(t)
	hour := s.Clock.Now().Add(time.Hour).UnixMilli()
	steps := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"useraction-create", "POST", "/api/user-action/" + lockActionID, map[string]any{"userAction": map[string]any{
			"name": "Lock", "preventLogin": true, "temporal": true, "localizedNames": map[string]any{"de": "Sperre"},
			"options": []any{map[string]any{"name": "Fraud"}}}}, 200},
		{"useraction-create-plain", "POST", "/api/user-action/" + awardActionID, map[string]any{"userAction": map[string]any{"name": "Award"}}, 200},
		{"useraction-prevent-not-temporal", "POST", "/api/user-action", map[string]any{"userAction": map[string]any{
			"name": "Forever", "preventLogin": true}}, 400},
		{"useraction-duplicate", "POST", "/api/user-action", map[string]any{"userAction": map[string]any{"name": "lock"}}, 400},
		{"useraction-email-unsupported", "POST", "/api/user-action", map[string]any{"userAction": map[string]any{"name": "Mail", "userEmailingEnabled": true}}, 400},
		{"useraction-list", "GET", "/api/user-action", nil, 200},
		{"action-take", "POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": lockActionID, "comment": "Chargebacks", "expiry": hour, "option": "Fraud"}, "broadcast": false}, 200},
		{"action-take-no-expiry", "POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": lockActionID}}, 400},
		{"action-take-past-expiry", "POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": lockActionID, "expiry": 1}}, 400},
		{"action-take-unknown-user", "POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": missing,
			"userActionId": awardActionID}}, 400},
		{"action-take-plain", "POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": awardActionID, "comment": "Top seller"}}, 200},
		{"action-list-preventing", "GET", "/api/user/action?userId=" + aliceID + "&preventingLogin=true", nil, 200},
		{"action-list-inactive", "GET", "/api/user/action?userId=" + aliceID + "&active=false", nil, 200},
	}
	var lockLogID string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api(st.method, st.path, st.body)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
			if st.name == "action-take" {
				lockLogID = res.json(t)["action"].(map[string]any)["id"].(string)
			}
		})
	}
	s.Clock.Advance(time.Minute)
	res := s.api("PUT", "/api/user/action/"+lockLogID, map[string]any{"action": map[string]any{
		"comment": "Extended", "expiry": s.Clock.Now().Add(2 * time.Hour).UnixMilli()}})
	directoryGolden(t, "action-modify", res)
	res = s.api("DELETE", "/api/user/action/"+lockLogID, map[string]any{"action": map[string]any{"comment": "Paid back"}})
	directoryGolden(t, "action-cancel", res)
	if res := s.api("DELETE", "/api/user/action/"+lockLogID, map[string]any{"action": map[string]any{}}); res.status != 400 {
		t.Fatalf("cancelling a cancelled action: %d %s", res.status, res.body)
	}
	active := s.apiOK("GET", "/api/user/action?userId="+aliceID+"&preventingLogin=true", nil)["actions"].([]any)
	if len(active) != 0 {
		t.Fatalf("a cancelled lock still prevents login: %v", active)
	}
	// Soft delete, reactivate, hard delete of a definition.
	s.apiOK("DELETE", "/api/user-action/"+awardActionID, nil)
	if res := s.api("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
		"userActionId": awardActionID}}); res.status != 400 {
		t.Fatalf("taking an inactive action: %d", res.status)
	}
	if n := len(s.apiOK("GET", "/api/user-action?inactive=true", nil)["userActions"].([]any)); n != 1 {
		t.Fatalf("%d inactive actions, want 1", n)
	}
	s.apiOK("PUT", "/api/user-action/"+awardActionID+"?reactivate=true", nil)
	s.apiOK("DELETE", "/api/user-action/"+awardActionID+"?hardDelete=true", nil)
	if res := s.api("GET", "/api/user-action/"+awardActionID, nil); res.status != 404 {
		t.Fatalf("a deleted action: %d", res.status)
	}
}

// TestLockRevokesSessions: taking an action that prevents login revokes
// the user's sessions in its transaction (tenant
// refreshTokenRevocationPolicy.onLoginPrevented, on by default), so the
// refresh token of the login before it is refused at once; with the policy
// off the sessions stay, and their refresh is refused while the lock lasts.
func TestLockRevokesSessions(t *testing.T) {
	for _, revoke := range []bool{true, false} {
		s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
			tn.JWTConfiguration.RefreshTokenRevocationPolicy.OnLoginPrevented = revoke
		})
		login := s.login(storeApp, nil)
		rt := login.json(t)["refreshToken"].(string)
		s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
		s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli()}})
		res := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`})
		if res.status != 404 {
			t.Fatalf("revoke %v: refresh after the lock: %d %s", revoke, res.status, res.body)
		}
		live, err := s.Store.ListRefreshTokens(context.Background(), aliceID)
		must(t, err)
		if want := map[bool]int{true: 0, false: 1}[revoke]; len(live) != want {
			t.Fatalf("revoke %v: %d sessions live after the lock, want %d", revoke, len(live), want)
		}
	}
}

// TestUserActionTenantScope (adversarial): a key scoped to the default
// tenant cannot take an action on another tenant's user (the same answer as
// for an unknown user), and nothing is stored.
func TestUserActionTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.apiOK("POST", "/api/user-action/"+awardActionID, map[string]any{"userAction": map[string]any{"name": "Award"}})
	res := s.api("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": otherUserID,
		"userActionId": awardActionID}}, "Authorization", scopedKey)
	if res.status != 400 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	unknown := s.api("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": missing,
		"userActionId": awardActionID}}, "Authorization", scopedKey)
	if strings.ReplaceAll(string(unknown.body), missing, "ID") != strings.ReplaceAll(string(res.body), otherUserID, "ID") {
		t.Fatalf("another tenant's user answers %s, an unknown one %s", res.body, unknown.body)
	}
	logs, err := s.Store.ListUserActionLogs(context.Background(), otherUserID)
	must(t, err)
	if len(logs) != 0 {
		t.Fatalf("%d actions stored on the other tenant's user", len(logs))
	}
	if res := s.api("GET", "/api/user/action?userId="+otherUserID, nil, "Authorization", scopedKey); res.status != 404 {
		t.Fatalf("listing another tenant's user's actions: %d", res.status)
	}
}

// TestLoginPreventedAnswer pins FusionAuth's 409 (login-prevented-response.json)
// while a lock is in force: /api/login answers the actions and sets no
// cookie, the password grant answers invalid_grant/login_prevented, a wrong
// password is the usual empty 404; after the cancel the login succeeds.
func TestLoginPreventedAnswer(t *testing.T) {
	s := newStack(t)
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true,
		"options": []any{map[string]any{"name": "Fraud"}}}})
	taken := s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
		"userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli(), "option": "Fraud", "comment": "Chargebacks"}})
	res := s.login(storeApp, nil)
	if res.status != 409 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("login while locked: %d, cookies %v", res.status, res.header.Values("Set-Cookie"))
	}
	directoryGolden(t, "login-prevented", res)
	grant := s.do(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: "grant_type=password&client_id=" + storeApp + "&client_secret=" + secret + "&username=" + aliceEmail + "&password=" + alicePass})
	if grant.status != 400 || grant.json(t)["error_reason"] != "login_prevented" {
		t.Fatalf("password grant while locked: %d %s", grant.status, grant.body)
	}
	wrong := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`})
	if wrong.status != 404 || len(wrong.body) != 0 {
		t.Fatalf("wrong password while locked: %d %s", wrong.status, wrong.body)
	}
	id := taken["action"].(map[string]any)["id"].(string)
	s.apiOK("DELETE", "/api/user/action/"+id, map[string]any{"action": map[string]any{"comment": "Lifted"}})
	if res := s.login(storeApp, nil); res.status != 200 {
		t.Fatalf("login after the cancel: %d %s", res.status, res.body)
	}
}
