package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// revokeCase is one way sessions end: do ends the session of user (logged
// in to the Store with refreshToken rt, session id sid).
type revokeCase struct {
	name string
	do   func(t *testing.T, s *stack, c *consoleClient, user, email, rt, sid string)
	// named: the event names the one token (refreshToken object), as
	// opposed to every session of the user.
	named bool
	// ownApp: the user logs in to an application made for the case (the
	// case ends it), and the event names that application, not the user.
	ownApp bool
}

// TestEveryRevocationSendsItsEvent walks every path that ends a user's
// sessions and checks that a real receiver gets jwt.refresh-token.revoke for
// that user (FusionAuth's event JSON), and that the session really ended.
// The event is queued in the transaction of the revocation (Outbox), so a
// path that revoked without it would fail here.
func TestEveryRevocationSendsItsEvent(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		p := &tn.JWTConfiguration.RefreshTokenRevocationPolicy
		p.OnLoginPrevented, p.OnPasswordChanged, p.OnMultiFactorEnable = true, true, true
	})
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.JWTRefreshTokenRevoke},
			`,"signatureConfiguration":{"enabled":true,"signingKeyId":"`+activeKID(t, s, "ES256")+`"}`)}), 200)
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	_, err := s.Srv.Manage.Console.CreateAdmin(context.Background(), rootEmail, rootPass)
	must(t, err)
	console := &consoleClient{s: s, origin: s.URL}
	wantConsoleStatus(t, "admin signs in", console.signIn(t, rootEmail, rootPass), 303)

	for i, tc := range revokeCases() {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", 900+i)
			email := fmt.Sprintf("revoke-%d@example.test", i)
			app := storeApp
			if tc.ownApp {
				app = appOf(user)
				wantStatus(t, s.do(call{method: "POST", path: "/api/application/" + app, hdr: admin,
					body: `{"application":{"name":"Revoked ` + app + `","loginConfiguration":{"generateRefreshTokens":true,"allowTokenRefresh":true,"requireAuthentication":false}}}`}), 200)
			}
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/registration/" + user, hdr: admin,
				body: `{"user":{"email":"` + email + `","password":"` + revokePass + `"},"registration":{"applicationId":"` + app + `"}}`}), 200)
			login := s.do(call{method: "POST", path: "/api/login",
				body: `{"loginId":"` + email + `","password":"` + revokePass + `","applicationId":"` + app + `"}`})
			wantStatus(t, login, 200)
			rt, sid := login.json(t)["refreshToken"].(string), login.json(t)["refreshTokenId"].(string)

			tc.do(t, s, console, user, email, rt, sid)

			ev := rec.waitMatch(t, func(d delivery) bool {
				if tc.ownApp {
					return d.event["type"] == events.JWTRefreshTokenRevoke && d.event["applicationId"] == app
				}
				return d.event["type"] == events.JWTRefreshTokenRevoke && d.event["userId"] == user
			})
			if ev.event["tenantId"] != tenantID {
				t.Errorf("event tenantId %v", ev.event["tenantId"])
			}
			ttl, _ := ev.event["applicationTimeToLiveInSeconds"].(map[string]any)
			if ttl[app] == nil {
				t.Errorf("no access-token lifetime for application %s: %v", app, ev.event)
			}
			if token, _ := ev.event["refreshToken"].(map[string]any); tc.named != (token != nil) || (tc.named && token["id"] != sid) {
				t.Errorf("refreshToken %v (named %v, session %s)", token, tc.named, sid)
			}
			if got := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`}); got.status != 404 {
				t.Errorf("the session still refreshes after %s: %d", tc.name, got.status)
			}
			verifySignature(t, s, ev)
		})
	}
}

const revokePass = "a long enough password"

func revokeCases() []revokeCase {
	api := func(method, path, body string) func(t *testing.T, s *stack, _ *consoleClient, user, email, rt, sid string) {
		return func(t *testing.T, s *stack, _ *consoleClient, user, email, rt, sid string) {
			wantStatus(t, s.do(call{method: method, path: fill(path, user, sid), hdr: admin, body: fill(body, user, sid)}), 200)
		}
	}
	return []revokeCase{
		{name: "revoke API, user", do: api("DELETE", "/api/jwt/refresh?userId={user}", "")},
		{name: "revoke API, token id", do: api("DELETE", "/api/jwt/refresh/{sid}", ""), named: true},
		{name: "logout", named: true, do: func(t *testing.T, s *stack, _ *consoleClient, _, _, rt, _ string) {
			wantStatus(t, s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`}), 200)
		}},
		{name: "reuse detection", named: true, do: func(t *testing.T, s *stack, _ *consoleClient, _, _, rt, _ string) {
			wantStatus(t, s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`}), 200)
			s.Clock.Advance(2 * time.Minute) // past the retry window: the old value is reuse now
			wantStatus(t, s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt + `"}`}), 404)
		}},
		{name: "deactivation", do: api("DELETE", "/api/user/{user}", "")},
		{name: "hard delete", do: api("DELETE", "/api/user/{user}?hardDelete=true", "")},
		{name: "password change by update", do: api("PATCH", "/api/user/{user}", `{"user":{"password":"another long password"}}`)},
		{name: "change-password API", do: func(t *testing.T, s *stack, _ *consoleClient, _, email, _, _ string) {
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/change-password", hdr: admin,
				body: `{"loginId":"` + email + `","currentPassword":"` + revokePass + `","password":"another long password"}`}), 200)
		}},
		{name: "lock by user action", do: func(t *testing.T, s *stack, _ *consoleClient, user, _, _, _ string) {
			s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": user,
				"userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli()}})
		}},
		{name: "two-factor enabled", do: func(t *testing.T, s *stack, _ *consoleClient, user, _, _, _ string) {
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/two-factor/" + user, hdr: admin,
				body: `{"method":"authenticator","secretBase32Encoded":"` + auth.TOTPBase32(totpTestSecret) + `","code":"` + s.totp(totpTestSecret) + `"}`}), 200)
		}},
		{name: "registration deleted", do: api("DELETE", "/api/user/registration/{user}/"+storeApp, "")},
		{name: "application deactivated", ownApp: true, do: func(t *testing.T, s *stack, _ *consoleClient, user, _, _, _ string) {
			wantStatus(t, s.do(call{method: "DELETE", path: "/api/application/" + appOf(user), hdr: admin}), 200)
		}},
		{name: "application hard delete", ownApp: true, do: func(t *testing.T, s *stack, _ *consoleClient, user, _, _, _ string) {
			wantStatus(t, s.do(call{method: "DELETE", path: "/api/application/" + appOf(user) + "?hardDelete=true", hdr: admin}), 200)
		}},
		{name: "console: end one session", named: true, do: func(t *testing.T, _ *stack, c *consoleClient, user, _, _, sid string) {
			token := csrf(t, c.get("/admin/users/"+user))
			wantConsoleStatus(t, "end the session", c.post("/admin/users/"+user+"/end-session", url.Values{"csrf": {token}, "confirm": {"yes"}, "session": {sid}}), 303)
		}},
		{name: "console: end every session", do: func(t *testing.T, _ *stack, c *consoleClient, user, _, _, _ string) {
			token := csrf(t, c.get("/admin/users/"+user))
			wantConsoleStatus(t, "revoke", c.post("/admin/users/"+user+"/revoke", url.Values{"csrf": {token}, "confirm": {"yes"}}), 303)
		}},
		{name: "console: lock", do: func(t *testing.T, _ *stack, c *consoleClient, user, _, _, _ string) {
			token := csrf(t, c.get("/admin/users/"+user))
			wantConsoleStatus(t, "lock", c.post("/admin/users/"+user+"/lock", url.Values{"csrf": {token}, "confirm": {"yes"}, "duration": {"never"}}), 303)
		}},
		{name: "console: deactivate", do: func(t *testing.T, _ *stack, c *consoleClient, user, _, _, _ string) {
			token := csrf(t, c.get("/admin/users/"+user))
			wantConsoleStatus(t, "deactivate", c.post("/admin/users/"+user+"/deactivate", url.Values{"csrf": {token}, "confirm": {"yes"}}), 303)
		}},
	}
}

// appOf is the application made for the ownApp case of user (the user's
// id with its number less 100).
func appOf(user string) string {
	var n int
	_, _ = fmt.Sscanf(user[len(user)-12:], "%d", &n)
	return fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", n-100)
}

// fill puts user and sid in place of {user} and {sid}.
func fill(v, user, sid string) string {
	return strings.NewReplacer("{user}", user, "{sid}", sid).Replace(v)
}
