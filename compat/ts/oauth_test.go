package tscompat

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

const oauthAppID = "7d4b6c1e-2f0a-4c3e-8b5d-0000000000d1"

// oauthKickstart creates a public SPA client with the code flow (PKCE, no
// secret) and a user registered to it.
const oauthKickstart = `{
  "variables": {"apiKey": "%s", "appId": "` + oauthAppID + `"},
  "apiKeys": [{"key": "#{apiKey}", "description": "ts oauth compat"}],
  "requests": [
    {"method": "POST", "url": "/api/application/#{appId}", "body": {"application": {
      "name": "oauth-spa",
      "oauthConfiguration": {"clientAuthenticationPolicy": "NotRequiredWhenUsingPKCE", "generateRefreshTokens": true,
        "enabledGrants": ["authorization_code", "refresh_token"], "authorizedRedirectURLs": ["https://spa.example.test/callback"]},
      "roles": [{"name": "user", "isDefault": true}]}}},
    {"method": "POST", "url": "/api/user/registration", "body": {
      "user": {"email": "oauth@example.com", "password": "correct horse battery staple"},
      "registration": {"applicationId": "#{appId}"}}},
    {"method": "POST", "url": "/api/entity/type/` + entityTypeID + `", "body": {"entityType": {"name": "Service",
      "permissions": [{"name": "read"}, {"name": "write"}]}}},
    {"method": "POST", "url": "/api/entity/` + apiEntityID + `", "body": {"entity": {"name": "Inventory API",
      "type": {"id": "` + entityTypeID + `"}}}},
    {"method": "POST", "url": "/api/entity/` + clientEntityID + `", "body": {"entity": {"name": "Billing job",
      "type": {"id": "` + entityTypeID + `"}, "clientSecret": "` + clientEntitySecret + `"}}},
    {"method": "POST", "url": "/api/entity/` + apiEntityID + `/grant", "body": {"grant": {
      "recipientEntityId": "` + clientEntityID + `", "permissions": ["read"]}}}
  ]
}`

const (
	entityTypeID       = "7d4b6c1e-2f0a-4c3e-8b5d-0000000000e1"
	apiEntityID        = "7d4b6c1e-2f0a-4c3e-8b5d-0000000000e2"
	clientEntityID     = "7d4b6c1e-2f0a-4c3e-8b5d-0000000000e3"
	clientEntitySecret = "billing-job-secret-0123456789abcdef"
)

// TestTypeScriptClientOAuth runs oauth.test.mjs: the TS client's
// exchangeOAuthCodeForAccessTokenUsingPKCE, retrieveUserInfoFromAccessToken
// and introspectAccessToken against the code flow.
func TestTypeScriptClientOAuth(t *testing.T) {
	node := need(t, "node")
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	installClient(t, ctx, dir)
	in := apptest.Start(t, apptest.Options{Kickstart: fmt.Sprintf(oauthKickstart, rand.Text()+rand.Text())})
	run(t, ctx, dir, []string{
		"LATCHKEY_URL=" + in.URL,
		"LATCHKEY_APP_ID=" + oauthAppID,
		"LATCHKEY_REDIRECT_URI=https://spa.example.test/callback",
		"LATCHKEY_LOGIN=oauth@example.com",
		"LATCHKEY_PASSWORD=correct horse battery staple",
		"LATCHKEY_API_ENTITY=" + apiEntityID,
		"LATCHKEY_CLIENT_ENTITY=" + clientEntityID,
		"LATCHKEY_CLIENT_SECRET=" + clientEntitySecret,
	}, node, "--test", "oauth.test.mjs")
}
