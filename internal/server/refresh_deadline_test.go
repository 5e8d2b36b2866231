package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRefreshPastItsDeadlineAnswersUnavailable: a refresh whose request
// deadline (Config.RequestTimeout) passed before the store answered, as
// under a load the database cannot keep up with, is answered 503 with
// Retry-After: 1 in each endpoint's format (OAuth's temporarily_unavailable
// at /oauth2/token, FusionAuth's error JSON at /api/jwt/refresh), never a
// 500, and consumes nothing: the same refresh token refreshes afterwards.
// Before, /oauth2/token answered such a refresh 500 server_error.
func TestRefreshPastItsDeadlineAnswersUnavailable(t *testing.T) {
	s := newStack(t)
	grant := s.token(url.Values{"grant_type": {"password"}, "client_id": {storeApp}, "client_secret": {secret},
		"username": {aliceEmail}, "password": {alicePass}, "scope": {"offline_access"}})
	rt, _ := grant.json(t)["refresh_token"].(string)
	if grant.status != http.StatusOK || rt == "" {
		t.Fatalf("password grant: %d %s", grant.status, grant.body)
	}
	late := func(c call) *httptest.ResponseRecorder {
		t.Helper()
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		return s.doIn(ctx, c)
	}
	oauth := late(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}}.Encode()})
	var oerr struct {
		Error string `json:"error"`
	}
	if oauth.Code != http.StatusServiceUnavailable || oauth.Header().Get("Retry-After") != "1" ||
		json.Unmarshal(oauth.Body.Bytes(), &oerr) != nil || oerr.Error != "temporarily_unavailable" {
		t.Fatalf("OAuth refresh past its deadline: %d Retry-After %q %s; want 503 temporarily_unavailable with Retry-After: 1",
			oauth.Code, oauth.Header().Get("Retry-After"), oauth.Body)
	}
	api := late(call{method: "POST", path: "/api/jwt/refresh", hdr: map[string]string{"Content-Type": "application/json"},
		body: `{"refreshToken":"` + rt + `"}`})
	if api.Code != http.StatusServiceUnavailable || api.Header().Get("Retry-After") != "1" ||
		!strings.Contains(api.Body.String(), `"generalErrors"`) {
		t.Fatalf("API refresh past its deadline: %d Retry-After %q %s; want FusionAuth's 503 with Retry-After: 1",
			api.Code, api.Header().Get("Retry-After"), api.Body)
	}
	// The same with the client's application not cached (an update forgets
	// it), so that the client's lookup is what meets the deadline: OAuth's
	// 503 too, not FusionAuth's error JSON.
	if res := s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: map[string]string{"Authorization": apiKey},
		body: `{"application":{"name":"Store, renamed","jwtConfiguration":{"enabled":false,"timeToLiveInSeconds":300,
			"refreshTokenTimeToLiveInMinutes":60,"refreshTokenExpirationPolicy":"Fixed","refreshTokenUsagePolicy":"OneTimeUse"}}}`}); res.status != http.StatusOK {
		t.Fatalf("PATCH application: %d %s", res.status, res.body)
	}
	lookup := late(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}}.Encode()})
	oerr.Error = ""
	if lookup.Code != http.StatusServiceUnavailable || lookup.Header().Get("Retry-After") != "1" ||
		json.Unmarshal(lookup.Body.Bytes(), &oerr) != nil || oerr.Error != "temporarily_unavailable" {
		t.Fatalf("OAuth refresh whose client lookup is past the deadline: %d Retry-After %q %s; want 503 temporarily_unavailable",
			lookup.Code, lookup.Header().Get("Retry-After"), lookup.Body)
	}
	again := s.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}})
	if next, _ := again.json(t)["refresh_token"].(string); again.status != http.StatusOK || next == "" || next == rt {
		t.Fatalf("the refresh token after two late refreshes: %d %s; want it unconsumed", again.status, again.body)
	}
}
