package server_test

import (
	"bytes"
	"testing"
)

// TestIdentityProviderLookupByDomain: GET /api/identity-provider/lookup
// ?domain= is FusionAuth's anonymous lookup: the enabled provider whose
// domains include the domain (or an email address's domain, in any case)
// answers with what starts a login and never its client secret; a domain no
// enabled provider manages, or none, is 404, with or without a key. It was
// GET /api/identity-provider/{id}: 401 without a key, 400
// [couldNotConvert]identityProviderId with one.
func TestIdentityProviderLookupByDomain(t *testing.T) {
	s := newStack(t)
	provider := func(name string, enabled bool, domain string) string {
		return s.apiOK("POST", "/api/identity-provider", map[string]any{"identityProvider": map[string]any{
			"type": "OpenIDConnect", "name": name, "buttonText": "Sign in with " + name, "enabled": enabled,
			"domains": []string{domain},
			"oauth2": map[string]any{"client_id": name + "-client", "client_secret": "s3cret-" + name,
				"authorization_endpoint": "https://" + domain + "/authorize", "token_endpoint": "https://" + domain + "/token", "scope": "openid email"},
			"applicationConfiguration": map[string]any{forumsApp: map[string]any{"enabled": true}, storeApp: map[string]any{"enabled": false}},
		}})["identityProvider"].(map[string]any)["id"].(string)
	}
	corp := provider("Corp", true, "corp.example")
	provider("Old", false, "old.example")

	for _, domain := range []string{"corp.example", "CORP.example", "pat@Corp.Example"} {
		for _, key := range []string{"", apiKey} {
			res := s.api("GET", "/api/identity-provider/lookup?domain="+domain, nil, "Authorization", key)
			wantStatus(t, res, 200)
			if bytes.Contains(res.body, []byte("s3cret")) {
				t.Fatalf("the lookup shows the client secret: %s", res.body)
			}
			p := res.json(t)["identityProvider"].(map[string]any)
			o := p["oauth2"].(map[string]any)
			if p["id"] != corp || p["name"] != "Corp" || p["type"] != "OpenIDConnect" || o["client_id"] != "Corp-client" ||
				o["authorization_endpoint"] != "https://corp.example/authorize" || len(p["applicationIds"].([]any)) != 1 || p["applicationIds"].([]any)[0] != forumsApp {
				t.Errorf("%s: %s", domain, res.body)
			}
		}
	}
	for _, q := range []string{"?domain=old.example", "?domain=example", "?domain=elsewhere.example", "?domain=", ""} {
		for _, key := range []string{"", apiKey} {
			if res := s.api("GET", "/api/identity-provider/lookup"+q, nil, "Authorization", key); res.status != 404 {
				t.Errorf("%q (key %v): %d %s, want 404", q, key != "", res.status, res.body)
			}
		}
	}
}
