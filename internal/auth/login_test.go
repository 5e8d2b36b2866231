package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func TestLoginOutcomes(t *testing.T) {
	okReq := LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID}
	tests := []struct {
		name        string
		world       func(*world)
		req         LoginRequest
		wantErr     error
		wantRefresh bool
		wantReg     bool
	}{
		{name: "registered user gets tokens", req: okReq, wantRefresh: true, wantReg: true},
		{name: "email is case-insensitive", req: LoginRequest{LoginID: "alice@EXAMPLE.test", Password: goodPass, ApplicationID: appID}, wantRefresh: true, wantReg: true},
		{name: "username login", req: LoginRequest{LoginID: "ALICE", Password: goodPass, ApplicationID: appID}, wantRefresh: true, wantReg: true},
		{name: "not registered: no refresh token", world: func(w *world) { w.roles = nil }, req: okReq},
		{name: "no application: no refresh token", req: LoginRequest{LoginID: userEmail, Password: goodPass}, wantReg: true},
		{name: "generateRefreshTokens off", world: func(w *world) { w.app.LoginConfiguration.GenerateRefreshTokens = false }, req: okReq, wantReg: true},
		{name: "noJWT issues nothing", req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, NoJWT: true}, wantReg: true},
		{name: "wrong password", req: LoginRequest{LoginID: userEmail, Password: "nope", ApplicationID: appID}, wantErr: ErrInvalidCredentials},
		{name: "unknown user", req: LoginRequest{LoginID: "bob@example.test", Password: goodPass, ApplicationID: appID}, wantErr: ErrInvalidCredentials},
		{name: "empty login id matches nobody", world: func(w *world) { w.user.Email = "" }, req: LoginRequest{LoginID: "", Password: goodPass, ApplicationID: appID}, wantErr: ErrInvalidCredentials},
		{name: "inactive user, right password", world: func(w *world) { w.user.Active = false }, req: okReq, wantErr: ErrInvalidCredentials},
		{name: "expired user", world: func(w *world) { w.user.Expiry = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() }, req: okReq, wantErr: ErrExpiredUser},
		{name: "expired user, wrong password says nothing", world: func(w *world) { w.user.Expiry = 1 }, req: LoginRequest{LoginID: userEmail, Password: "x", ApplicationID: appID}, wantErr: ErrInvalidCredentials},
		{name: "unknown application without key", req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: "0f1a2b3c-0000-4000-8000-00000000ffff"}, wantErr: ErrAPIKeyRequired},
		{name: "unknown application with key", req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: "0f1a2b3c-0000-4000-8000-00000000ffff", HasAPIKey: true}, wantErr: ErrUnknownApplication},
		{name: "inactive application", world: func(w *world) { w.app.Active, w.app.State = false, "Inactive" }, req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, HasAPIKey: true}, wantErr: ErrUnknownApplication},
		{name: "app requires API key", world: func(w *world) { w.app.LoginConfiguration.RequireAuthentication = true }, req: okReq, wantErr: ErrAPIKeyRequired},
		{name: "app requires API key, key given", world: func(w *world) { w.app.LoginConfiguration.RequireAuthentication = true }, req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, HasAPIKey: true}, wantRefresh: true, wantReg: true},
		{name: "API key checked before credentials", world: func(w *world) { w.app.LoginConfiguration.RequireAuthentication = true }, req: LoginRequest{LoginID: "nobody", Password: "x", ApplicationID: appID}, wantErr: ErrAPIKeyRequired},
		{name: "tenant requires API key without app", world: func(w *world) { w.tenant.LoginConfiguration.RequireAuthentication = true }, req: LoginRequest{LoginID: userEmail, Password: goodPass}, wantErr: ErrAPIKeyRequired},
		{name: "OAuth skips the API key rule", world: func(w *world) { w.app.LoginConfiguration.RequireAuthentication = true }, req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, OAuth: true}, wantReg: true},
		{name: "OAuth offline_access gets a refresh token", req: LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, OAuth: true, Scopes: []string{"offline_access"}}, wantRefresh: true, wantReg: true},
		{name: "OAuth without a client", req: LoginRequest{LoginID: userEmail, Password: goodPass, OAuth: true}, wantErr: ErrUnknownApplication},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*world)
			if tc.world != nil {
				opts = append(opts, tc.world)
			}
			e := newEnv(t, opts...)
			got, err := e.svc.Login(e.ctx, tc.req)
			if tc.wantErr != nil {
				wantErr(t, err, tc.wantErr)
				if got.AccessToken != "" || got.RefreshToken != "" {
					t.Fatal("a refused login returned tokens")
				}
				return
			}
			must(t, err)
			if got.Registered != tc.wantReg {
				t.Errorf("Registered = %v, want %v", got.Registered, tc.wantReg)
			}
			if (got.RefreshToken != "") != tc.wantRefresh || (got.RefreshTokenID != "") != tc.wantRefresh {
				t.Errorf("refresh token issued = %v, want %v", got.RefreshToken != "", tc.wantRefresh)
			}
			// No token for noJWT, nor for a user not registered for the named
			// application (latchkey's 202 carries the user only).
			if wantToken := !tc.req.NoJWT && got.Registered; wantToken != (got.AccessToken != "") {
				t.Errorf("access token present = %v with noJWT=%v registered=%v", got.AccessToken != "", tc.req.NoJWT, got.Registered)
			}
			if got.User.ID != userID || got.User.LastLoginInstant != e.clock.Now().UnixMilli() {
				t.Errorf("user = %+v, want alice with lastLoginInstant now", got.User)
			}
			stored, err := e.store.GetUser(e.ctx, userID)
			must(t, err)
			if stored.LastLoginInstant != e.clock.Now().UnixMilli() {
				t.Errorf("stored lastLoginInstant = %d", stored.LastLoginInstant)
			}
		})
	}
}

func TestLoginAccessTokenClaims(t *testing.T) {
	tests := []struct {
		name    string
		world   func(*world)
		req     LoginRequest
		present []string
		absent  []string
	}{
		{name: "registered", req: LoginRequest{ApplicationID: appID},
			present: []string{"aud", "applicationId", "roles", "sid"}, absent: []string{"scope"}},
		{name: "no application", req: LoginRequest{}, absent: []string{"aud", "applicationId", "roles", "sid"}},
		{name: "OAuth", req: LoginRequest{ApplicationID: appID, OAuth: true, Scopes: []string{"openid", "offline_access"}},
			present: []string{"scope", "sid", "roles"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*world)
			if tc.world != nil {
				opts = append(opts, tc.world)
			}
			e := newEnv(t, opts...)
			req := tc.req
			req.LoginID, req.Password = userEmail, goodPass
			tok, err := e.svc.Login(e.ctx, req)
			must(t, err)
			c := e.claims(tok.AccessToken)
			now := e.clock.Now().Unix()
			for k, want := range map[string]any{
				"iss": issuer, "sub": userID, "tid": tenantID, "email": userEmail, "email_verified": true,
				"preferred_username": userName, "authenticationType": "PASSWORD",
				"iat": float64(now), "exp": float64(now + 300), "auth_time": float64(now),
			} {
				if got := jsonNumber(c[k]); got != want {
					t.Errorf("claim %s = %v (%T), want %v", k, c[k], c[k], want)
				}
			}
			if c["jti"] == nil || c["jti"] == "" {
				t.Error("no jti")
			}
			for _, k := range tc.present {
				if _, ok := c[k]; !ok {
					t.Errorf("claim %s missing", k)
				}
			}
			for _, k := range tc.absent {
				if _, ok := c[k]; ok {
					t.Errorf("claim %s = %v, want absent", k, c[k])
				}
			}
			if sid, ok := c["sid"]; ok && sid != tok.RefreshTokenID {
				t.Errorf("sid = %v, want refreshTokenId %s", sid, tok.RefreshTokenID)
			}
			if !tok.AccessTokenExpiresAt.Equal(time.Unix(now+300, 0)) {
				t.Errorf("AccessTokenExpiresAt = %v", tok.AccessTokenExpiresAt)
			}
			if req.OAuth && tok.IDToken == "" {
				t.Error("openid scope but no id token")
			}
		})
	}
}

// jsonNumber normalises numeric claims to float64 (JSON's number), whatever
// integer type the verifier decoded them into.
func jsonNumber(v any) any {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case int:
		return float64(n)
	}
	return v
}

func TestLoginUnknownUserLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	_, errUnknown := e.svc.Login(e.ctx, LoginRequest{LoginID: "mallory@example.test", Password: "guess", ApplicationID: appID})
	unknownEvals := e.hasher.evals.Load()
	_, errWrong := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "guess", ApplicationID: appID})
	wrongEvals := e.hasher.evals.Load() - unknownEvals
	if errUnknown != errWrong || !errors.Is(errWrong, ErrInvalidCredentials) {
		t.Fatalf("unknown user: %v, wrong password: %v; want the same ErrInvalidCredentials", errUnknown, errWrong)
	}
	if unknownEvals != 1 || wrongEvals != 1 {
		t.Fatalf("hash evaluations: unknown user %d, wrong password %d; want 1 each", unknownEvals, wrongEvals)
	}
}

func TestLoginRehashesAfterTenantSchemeChange(t *testing.T) {
	e := newEnv(t)
	ten, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	ten.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{EncryptionScheme: "bcrypt", EncryptionSchemeFactor: 4}
	must(t, e.store.UpdateTenant(e.ctx, ten))

	// A failed login must not touch the hash.
	_, err = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID})
	wantErr(t, err, ErrInvalidCredentials)
	u, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	if u.Password.Scheme != testAlg {
		t.Fatalf("scheme after failed login = %q, want %q", u.Password.Scheme, testAlg)
	}

	e.login()
	u, err = e.store.GetUser(e.ctx, userID)
	must(t, err)
	if u.Password.Scheme != "bcrypt" || u.Password.Factor != 4 {
		t.Fatalf("after login hash is %s/%d, want bcrypt/4", u.Password.Scheme, u.Password.Factor)
	}
	e.login() // the new hash verifies
	_, err = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID})
	wantErr(t, err, ErrInvalidCredentials)
}
