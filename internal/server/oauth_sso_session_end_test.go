package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lockAlice takes a temporal action that prevents alice's login, to the
// applications named (all when none).
func lockAlice(s *stack, appIDs ...string) {
	s.t.Helper()
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	action := map[string]any{"actioneeUserId": aliceID, "userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli()}
	if len(appIDs) > 0 {
		action["applicationIds"] = appIDs
	}
	s.apiOK("POST", "/api/user/action", map[string]any{"action": action})
}

// TestSSORefusedWhileAUserActionPreventsLogin (adversarial): with the
// tenant's onLoginPrevented off, a lock leaves alice's SSO session and
// tokens in place, yet the SSO hit is refused as her password login is
// (access_denied, login_prevented to the client, prompt=none alike), and a
// code issued just before the lock does not exchange: the token endpoint
// answers as the password grant does (invalid_grant, login_prevented), and
// the code is burnt. A lock of the forums only refuses the forums and
// leaves the store's SSO as it was.
func TestSSORefusedWhileAUserActionPreventsLogin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lock    []string
		refused []string // client ids whose SSO hit is refused
	}{
		{"every application", nil, []string{storeApp, forumsApp}},
		{"the forums only", []string{forumsApp}, []string{forumsApp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
				tn.JWTConfiguration.RefreshTokenRevocationPolicy.OnLoginPrevented = false
			})
			verifier, challenge := pkce("sso-locked-")
			b := newBrowser(s)
			b.login(authzQuery(storeApp, storeCallback, challenge))
			early := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), forumsCallback)
			lockAlice(s, tc.lock...)
			tokensBefore, _ := s.Store.ListRefreshTokens(t.Context(), aliceID)

			refused := map[string]bool{}
			for _, app := range tc.refused {
				refused[app] = true
			}
			for app, cb := range map[string]string{storeApp: storeCallback, forumsApp: forumsCallback} {
				for _, extra := range [][]string{nil, {"prompt", "none"}} {
					res := b.get("/oauth2/authorize?" + authzQuery(app, cb, challenge, extra...).Encode())
					if refused[app] {
						wantRedirectError(t, s, res, cb, "access_denied", "login_prevented", "st-1")
					} else if q := redirectQuery(t, res, cb); q.Get("code") == "" {
						t.Fatalf("SSO to %s, which the lock does not name: %v", app, q)
					}
				}
			}

			tok := s.exchange(forumsApp, early.Get("code"), forumsCallback, verifier)
			wantOAuthError(t, tok, http.StatusBadRequest, "invalid_grant", "login_prevented")
			if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(tokensBefore) {
				t.Fatal("the refused exchange wrote a refresh token")
			}
			// The refused code is burnt: once the lock is lifted it is no
			// better than any used code.
			s.Clock.Advance(2 * time.Hour)
			again := s.exchange(forumsApp, early.Get("code"), forumsCallback, verifier)
			wantOAuthError(t, again, http.StatusBadRequest, "invalid_request", "auth_code_not_found")
		})
	}
}

// TestSSOEndsWithTheRevocationOfAllTheUsersTokens: FusionAuth's SSO session
// is itself a refresh token, so what revokes all of a user's refresh tokens
// ends single sign-on too: an administrator's password change, DELETE
// /api/jwt/refresh?userId=, POST /api/logout?global=true, and a lock under
// onLoginPrevented. After each the SSO cookie yields the login page, not a
// code (with the tenant's revocation policies on, FusionAuth's defaults).
// A revocation scoped to one application (DELETE with an
// applicationId, or a global logout from that application's page) leaves
// the SSO session alone.
func TestSSOEndsWithTheRevocationOfAllTheUsersTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		ends bool
		op   func(s *stack, refreshToken string)
	}{
		{"password change", true, func(s *stack, _ string) {
			s.apiOK("POST", "/api/user/change-password", map[string]any{"loginId": aliceEmail, "password": "a brand new passphrase"})
		}},
		{"revoke by user", true, func(s *stack, _ string) {
			s.apiOK("DELETE", "/api/jwt/refresh?userId="+aliceID, nil)
		}},
		{"global logout", true, func(s *stack, rt string) {
			if res := s.do(call{method: "POST", path: "/api/logout?global=true&refreshToken=" + url.QueryEscape(rt),
				hdr: map[string]string{"Content-Type": "text/plain"}}); res.status != 200 {
				s.t.Fatalf("logout: %d %s", res.status, res.body)
			}
		}},
		{"lock revoking every session", true, func(s *stack, _ string) { lockAliceUntilLifted(s) }},
		{"revoke by user and application", false, func(s *stack, _ string) {
			s.apiOK("DELETE", "/api/jwt/refresh?userId="+aliceID+"&applicationId="+storeApp, nil)
		}},
		{"global logout from one application's page", false, func(s *stack, rt string) {
			if res := s.do(call{method: "POST", path: "/api/logout?global=true&refreshToken=" + url.QueryEscape(rt),
				hdr: map[string]string{"Content-Type": "text/plain", "Origin": storeSite}}); res.status != 200 {
				s.t.Fatalf("logout: %d %s", res.status, res.body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
				p := &tn.JWTConfiguration.RefreshTokenRevocationPolicy
				p.OnPasswordChanged, p.OnLoginPrevented = true, true // FusionAuth's defaults
			})
			verifier, challenge := pkce("sso-revoked-")
			b := newBrowser(s)
			q := b.login(authzQuery(storeApp, storeCallback, challenge))
			rt, _ := s.exchange(storeApp, q.Get("code"), storeCallback, verifier).json(t)["refresh_token"].(string)
			forums := "/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode()
			redirectQuery(t, b.get(forums), forumsCallback) // SSO works before

			tc.op(s, rt)
			res := b.get(forums)
			switch {
			case tc.ends && (res.status != http.StatusOK || res.header.Get("Location") != ""):
				t.Fatalf("SSO after the revocation: %d Location %q, want the login page", res.status, res.header.Get("Location"))
			case !tc.ends:
				if q := redirectQuery(t, res, forumsCallback); q.Get("code") == "" {
					t.Fatalf("SSO after an application-scoped revocation: %v", q)
				}
			}
		})
	}
}

// lockAliceUntilLifted locks alice under the default onLoginPrevented
// (which revokes her sessions) and lifts the lock at once, so that what
// the test then sees is the session's end, not the lock's refusal.
func lockAliceUntilLifted(s *stack) {
	s.t.Helper()
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	taken := s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
		"userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli()}})
	s.apiOK("DELETE", "/api/user/action/"+taken["action"].(map[string]any)["id"].(string), map[string]any{"action": map[string]any{"comment": "Lifted"}})
}
