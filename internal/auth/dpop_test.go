package auth

import "testing"

// The access token carries cnf.jkt (RFC 9449 §6.1) exactly when the login
// or refresh was DPoP-bound, so a resource server can demand the key.
func TestAccessTokenCNF(t *testing.T) {
	tests := []struct {
		name       string
		loginJKT   string
		refreshJKT string
		wantLogin  string
		wantRefr   string
	}{
		{"unbound stays unbound", "", "", "", ""},
		{"bound login, same key on refresh", "jkt-a", "jkt-a", "jkt-a", "jkt-a"},
		{"unbound refresh token, proof on refresh binds the access token", "", "jkt-b", "", "jkt-b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, DPoPJKT: tc.loginJKT})
			must(t, err)
			if got := cnfJKT(e.claims(tok.AccessToken)); got != tc.wantLogin {
				t.Fatalf("login cnf.jkt = %q, want %q", got, tc.wantLogin)
			}
			if rec := e.record(tok.RefreshTokenID); rec.DPoPJKT != tc.loginJKT {
				t.Fatalf("refresh token bound to %q, want %q", rec.DPoPJKT, tc.loginJKT)
			}
			next, err := e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: tok.RefreshToken, ApplicationID: appID, DPoPJKT: tc.refreshJKT})
			must(t, err)
			if got := cnfJKT(e.claims(next.AccessToken)); got != tc.wantRefr {
				t.Fatalf("refresh cnf.jkt = %q, want %q", got, tc.wantRefr)
			}
		})
	}
}

func cnfJKT(c map[string]any) string {
	cnf, _ := c["cnf"].(map[string]any)
	s, _ := cnf["jkt"].(string)
	return s
}
