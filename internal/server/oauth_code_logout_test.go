package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCodeIssuedBeforeLogoutIsRefused: a code taken from the hosted login,
// then a logout of that browser (GET /oauth2/logout ends its login
// session): the code no longer exchanges, with the right verifier or a
// wrong one. The answer is the one for any unusable code (400
// invalid_request, auth_code_not_found), nothing is issued (no refresh
// token stored), and asking again changes nothing. A code of another
// browser's login session, which was not logged out, still exchanges and
// its tokens work.
func TestCodeIssuedBeforeLogoutIsRefused(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("code-before-logout-")
	out := newBrowser(s)
	ended := out.login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code")
	live := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code")
	if res := out.get("/oauth2/logout"); res.status != http.StatusOK {
		t.Fatalf("logout: %d %s", res.status, res.body)
	}
	before, err := s.Store.ListRefreshTokens(t.Context(), aliceID)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong verifier would burn a code; this one is refused all the same.
	wrong, _ := pkce("another-verifier-")
	for _, v := range []string{wrong, verifier, verifier} {
		res := s.exchange(forumsApp, ended, forumsCallback, v)
		wantOAuthError(t, res, http.StatusBadRequest, "invalid_request", "auth_code_not_found")
	}
	if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(before) {
		t.Fatalf("the refused exchanges stored %d refresh tokens", len(after)-len(before))
	}

	res := s.exchange(forumsApp, live, forumsCallback, verifier)
	if res.status != http.StatusOK {
		t.Fatalf("the live session's code: %d %s", res.status, res.body)
	}
	tok := res.json(t)
	if !introspectActive(t, s, forumsApp, tok["access_token"].(string)) {
		t.Error("the live session's access token is inactive")
	}
	r2 := s.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {forumsApp}, "refresh_token": {tok["refresh_token"].(string)}})
	if r2.status != http.StatusOK {
		t.Errorf("the live session's refresh token: %d %s", r2.status, r2.body)
	}
}
