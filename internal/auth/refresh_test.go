package auth

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestRefreshRefusalsDoNotConsume: each refusal is refused by the check its
// case names (the logged outcome), before anything is consumed. The record
// is as it was, and once the grace period of a rotated value is over, the
// original value still refreshes for the right caller: a value a refusal had
// rotated out would then be reuse and revoke the family, and a refusal that
// touched a Reusable token would have moved its last use (a revoked token
// can only show that its record did not move). Tokens are DPoP-bound only in
// the DPoP cases, so no other case is refused for its missing proof instead.
func TestRefreshRefusalsDoNotConsume(t *testing.T) {
	const jkt = "good-jkt"
	setActive := func(e *env, active bool) {
		u, err := e.store.GetUser(e.ctx, userID)
		must(e.t, err)
		u.Active = active
		must(e.t, e.store.UpdateUser(e.ctx, u))
	}
	tests := []struct {
		name    string
		bound   string // the DPoP key the login binds the token to
		req     RefreshRequest
		wantErr error
		outcome string
		spoil   func(e *env) // before the refused attempt
		restore func(e *env) // before the proof that the value still works
		dead    bool         // the token stays refused (revoked): no such proof
	}{
		{name: "other application", req: RefreshRequest{ApplicationID: otherApp},
			wantErr: ErrRefreshNotFound, outcome: "wrong_application"},
		{name: "other application via OAuth", req: RefreshRequest{ApplicationID: otherApp, OAuth: true},
			wantErr: ErrRefreshNotFound, outcome: "wrong_application"},
		{name: "other DPoP key", bound: jkt, req: RefreshRequest{ApplicationID: appID, DPoPJKT: "attacker-jkt"},
			wantErr: ErrRefreshNotFound, outcome: "dpop_key_mismatch"},
		{name: "no DPoP proof", bound: jkt, req: RefreshRequest{ApplicationID: appID},
			wantErr: ErrRefreshNotFound, outcome: "dpop_key_mismatch"},
		{name: "user deactivated", req: RefreshRequest{ApplicationID: appID},
			wantErr: ErrRefreshNotFound, outcome: "context_gone",
			spoil: func(e *env) { setActive(e, false) }, restore: func(e *env) { setActive(e, true) }},
		{name: "login prevented", req: RefreshRequest{ApplicationID: appID},
			wantErr: ErrRefreshNotFound, outcome: "login_prevented",
			spoil: func(e *env) { e.lock("lock-1") },
			restore: func(e *env) {
				l, err := e.store.GetUserActionLog(e.ctx, "lock-1")
				must(e.t, err)
				l.Canceled = true
				must(e.t, e.store.UpdateUserActionLog(e.ctx, l))
			}},
		{name: "revoked", req: RefreshRequest{ApplicationID: appID},
			wantErr: ErrRefreshNotFound, outcome: "revoked", dead: true,
			spoil: func(e *env) {
				_, err := e.store.RevokeRefreshTokens(e.ctx, storage.RefreshTokenFilter{UserID: userID}, e.clock.Now(), "admin")
				must(e.t, err)
			}},
		{name: "scope not granted", req: RefreshRequest{ApplicationID: appID, OAuth: true, Scopes: []string{"openid"}},
			wantErr: ErrInvalidScope, outcome: "scope_not_granted"},
	}
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		for _, tc := range tests {
			t.Run(usage+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, func(w *world) { w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage })
				tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, DPoPJKT: tc.bound})
				must(t, err)
				e.clock.Advance(time.Minute)
				if tc.spoil != nil {
					tc.spoil(e)
				}
				before := e.record(tok.RefreshTokenID)
				req := tc.req
				req.RefreshToken = tok.RefreshToken
				logged := len(e.logs.String())
				_, err = e.svc.Refresh(e.ctx, req)
				wantErr(t, err, tc.wantErr)
				if got := e.logs.String()[logged:]; !strings.Contains(got, `"outcome":"`+tc.outcome+`"`) {
					t.Fatalf("refused, but not as %s:\n%s", tc.outcome, got)
				}
				after := e.record(tok.RefreshTokenID)
				if after.Generation != before.Generation || string(after.Hash) != string(before.Hash) ||
					!after.LastUsedAt.Equal(before.LastUsedAt) || !after.ExpiresAt.Equal(before.ExpiresAt) ||
					!after.RevokedAt.Equal(before.RevokedAt) {
					t.Fatalf("refused refresh changed the record: generation %d -> %d, last used %v -> %v, expires %v -> %v, revoked %v -> %v",
						before.Generation, after.Generation, before.LastUsedAt, after.LastUsedAt, before.ExpiresAt, after.ExpiresAt,
						before.RevokedAt, after.RevokedAt)
				}
				if tc.dead {
					return
				}
				if tc.restore != nil {
					tc.restore(e)
				}
				e.clock.Advance(DefaultRetryWindow + time.Second) // past the grace of a rotated-out value
				if _, err := e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: tok.RefreshToken, ApplicationID: appID, DPoPJKT: tc.bound}); err != nil {
					t.Fatalf("token unusable after a refused attempt: %v", err)
				}
			})
		}
	}
}

// Unknown, revoked, expired and malformed tokens and a user or application
// that is gone all get the same error (no state oracle, security-bar R11).
func TestRefreshRefusedIdentically(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(e *env, tok Tokens) string
	}{
		{"unknown well-formed", func(e *env, tok Tokens) string { return unknownValue() }},
		{"unknown of the earlier format", func(e *env, tok Tokens) string { return newRefreshValue() }},
		{"empty", func(e *env, tok Tokens) string { return "" }},
		{"oversized", func(e *env, tok Tokens) string { return string(make([]byte, 4096)) }},
		{"revoked", func(e *env, tok Tokens) string {
			_, err := e.store.RevokeRefreshTokens(e.ctx, storage.RefreshTokenFilter{ID: tok.RefreshTokenID}, e.clock.Now(), "admin")
			must(e.t, err)
			return tok.RefreshToken
		}},
		{"expired", func(e *env, tok Tokens) string { e.clock.Advance(time.Hour); return tok.RefreshToken }},
		{"user deactivated", func(e *env, tok Tokens) string {
			u, err := e.store.GetUser(e.ctx, userID)
			must(e.t, err)
			u.Active = false
			must(e.t, e.store.UpdateUser(e.ctx, u))
			return tok.RefreshToken
		}},
		{"user expired", func(e *env, tok Tokens) string {
			u, err := e.store.GetUser(e.ctx, userID)
			must(e.t, err)
			u.Expiry = e.clock.Now().UnixMilli()
			must(e.t, e.store.UpdateUser(e.ctx, u))
			return tok.RefreshToken
		}},
		{"registration removed", func(e *env, tok Tokens) string {
			must(e.t, e.store.DeleteRegistration(e.ctx, userID, appID))
			return tok.RefreshToken
		}},
		{"application deactivated", func(e *env, tok Tokens) string {
			a, err := e.store.GetApplication(e.ctx, appID)
			must(e.t, err)
			a.Active, a.State = false, "Inactive"
			must(e.t, e.store.UpdateApplication(e.ctx, a))
			e.svc.ForgetApplication(appID) // as the application API does on this node
			return tok.RefreshToken
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tok := e.login()
			raw := tc.spoil(e, tok)
			got, err := e.refresh(raw)
			wantErr(t, err, ErrRefreshNotFound)
			if got.AccessToken != "" {
				t.Fatal("refused refresh returned an access token")
			}
		})
	}
}

func TestRefreshNotAllowed(t *testing.T) {
	e := newEnv(t, func(w *world) { w.app.LoginConfiguration.AllowTokenRefresh = false })
	tok := e.login()
	_, err := e.refresh(tok.RefreshToken)
	wantErr(t, err, ErrRefreshNotAllowed)
	// allowTokenRefresh governs /api/jwt/refresh only; the OAuth refresh
	// grant is governed by enabledGrants, checked by the caller (§6.2).
	if _, err := e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: tok.RefreshToken, ApplicationID: appID, OAuth: true}); err != nil {
		t.Fatalf("OAuth refresh: %v", err)
	}
}

// A refreshed access token re-reads roles, keeps auth_time and says
// REFRESH_TOKEN (fusionauth-api.md §2.1; security-bar R12).
func TestRefreshClaims(t *testing.T) {
	e := newEnv(t)
	login := e.login()
	loginAt := e.clock.Now().Unix()
	reg, err := e.store.GetRegistration(e.ctx, userID, appID)
	must(t, err)
	reg.Roles = []string{"admin", "user"}
	must(t, e.store.UpdateRegistration(e.ctx, reg))
	e.clock.Advance(10 * time.Minute)
	got, err := e.refresh(login.RefreshToken)
	must(t, err)
	c := e.claims(got.AccessToken)
	roles, _ := c["roles"].([]any)
	var names []string
	for _, r := range roles {
		names = append(names, r.(string))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"admin", "user"}) {
		t.Errorf("roles = %v, want the updated [admin user]", c["roles"])
	}
	for k, want := range map[string]any{
		"authenticationType": "REFRESH_TOKEN", "auth_time": float64(loginAt), "sid": login.RefreshTokenID,
		"iat": float64(e.clock.Now().Unix()), "applicationId": appID, "aud": appID,
	} {
		if got := jsonNumber(c[k]); got != want {
			t.Errorf("claim %s = %v, want %v", k, c[k], want)
		}
	}
}

// OAuth refresh: scopes may narrow, never widen (RFC 6749 §6); the ID token
// follows the openid scope.
func TestOAuthRefreshScopes(t *testing.T) {
	tests := []struct {
		name      string
		requested []string
		wantErr   error
		wantScope []string
		wantID    bool
	}{
		{"same scopes", nil, nil, []string{"openid", "offline_access"}, true},
		{"narrowed", []string{"offline_access"}, nil, []string{"offline_access"}, false},
		{"widened", []string{"offline_access", "admin"}, ErrInvalidScope, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
				OAuth: true, Scopes: []string{"openid", "offline_access"}})
			must(t, err)
			got, err := e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: tok.RefreshToken, ApplicationID: appID, OAuth: true, Scopes: tc.requested})
			if tc.wantErr != nil {
				wantErr(t, err, tc.wantErr)
				// Refused without consuming: the token still refreshes as granted.
				again, err := e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: tok.RefreshToken, ApplicationID: appID, OAuth: true})
				must(t, err)
				if !slices.Equal(again.Scopes, []string{"openid", "offline_access"}) {
					t.Fatalf("after the refusal: scopes %v", again.Scopes)
				}
				return
			}
			must(t, err)
			if !slices.Equal(got.Scopes, tc.wantScope) || (got.IDToken != "") != tc.wantID {
				t.Fatalf("scopes %v, id token %v; want %v, %v", got.Scopes, got.IDToken != "", tc.wantScope, tc.wantID)
			}
		})
	}
}
