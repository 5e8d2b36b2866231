package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// appReads is the real store counting application reads.
type appReads struct {
	storage.Storage
	n atomic.Int64
}

func (s *appReads) GetApplication(ctx context.Context, id string) (storage.Application, error) {
	s.n.Add(1)
	return s.Storage.GetApplication(ctx, id)
}

// TestOAuthClientFromCache: /oauth2/token authenticates its client from the
// node's application cache (issue 13: the read and JSON decoding were a
// tenth of a refresh's CPU), so a stream of refresh grants does not read
// the application each time; a changed client secret still applies on the
// next request (the management handler forgets the cached application).
func TestOAuthClientFromCache(t *testing.T) {
	st := &appReads{Storage: sqlstorage.OpenTest(t)}
	in := apptest.Start(t, apptest.Options{Store: st})
	appID := uuid.NewString()
	if res, b := in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{
		"name": "oauth", "oauthConfiguration": map[string]any{"clientSecret": "first-secret-0123456789",
			"enabledGrants": []string{"password", "refresh_token"}, "generateRefreshTokens": true},
		"loginConfiguration": map[string]any{"requireAuthentication": false}}}); res.StatusCode != 200 {
		t.Fatalf("create application: %d %s", res.StatusCode, b)
	}
	if res, b := in.Do(t, "POST", "/api/user/registration", map[string]any{
		"user":         map[string]any{"email": "oauth@example.com", "password": "oauth-password-123"},
		"registration": map[string]any{"applicationId": appID}}); res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, b)
	}
	grant := func(secret string, form url.Values) (int, map[string]any) {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(appID+":"+secret))
		res, b := in.Do(t, "POST", "/oauth2/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
			"Authorization", basic)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	code, m := grant("first-secret-0123456789", url.Values{"grant_type": {"password"}, "username": {"oauth@example.com"},
		"password": {"oauth-password-123"}, "scope": {"offline_access"}})
	if code != 200 {
		t.Fatalf("password grant: %d %v", code, m)
	}
	rt, _ := m["refresh_token"].(string)
	before := st.n.Load()
	const n = 20
	for i := range n {
		code, m = grant("first-secret-0123456789", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if code != 200 {
			t.Fatalf("refresh grant %d: %d %v", i, code, m)
		}
		rt, _ = m["refresh_token"].(string)
	}
	if reads := st.n.Load() - before; reads > n/4 {
		t.Fatalf("%d application reads for %d refresh grants: the client is not authenticated from the cache", reads, n)
	}
	if res, b := in.Do(t, "PATCH", "/api/application/"+appID, map[string]any{"application": map[string]any{
		"oauthConfiguration": map[string]any{"clientSecret": "second-secret-0123456789"}}}); res.StatusCode != 200 {
		t.Fatalf("change the secret: %d %s", res.StatusCode, b)
	}
	if code, m = grant("first-secret-0123456789", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); code != 401 {
		t.Fatalf("the old secret after the change: %d %v", code, m)
	}
	if code, m = grant("second-secret-0123456789", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); code != 200 {
		t.Fatalf("the new secret: %d %v", code, m)
	}
}
