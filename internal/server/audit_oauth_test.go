package server_test

import (
	"strings"
	"testing"
)

// TestAuditLogRecordsEntityAndProviderChanges: entity types, entities,
// grants and identity providers are management changes like any other:
// each writes an audit entry naming the API key, and no client secret
// (an entity's clientSecret, a provider's client_secret) reaches the log.
func TestAuditLogRecordsEntityAndProviderChanges(t *testing.T) {
	s := newOAuthStack(t)
	api, client, generated := machineWorld(t, s)
	s.apiOK("PATCH", "/api/entity/"+client, map[string]any{"entity": map[string]any{"name": "Renamed job", "clientSecret": "a-chosen-entity-secret-0123456789"}})
	s.apiOK("DELETE", "/api/entity/"+api+"/grant?recipientEntityId="+client, nil)
	s.apiOK("POST", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"type": "OpenIDConnect", "name": "Upstream", "buttonText": "Sign in with Upstream",
		"enabled": true, "oauth2": map[string]any{"client_id": "downstream", "client_secret": "an-upstream-client-secret-0123", "issuer": "https://idp.example.test"}}})
	s.apiOK("DELETE", "/api/identity-provider/"+idpID, nil)

	res := s.api("POST", "/api/system/audit-log/search", map[string]any{"search": map[string]any{"orderBy": "insertInstant ASC", "numberOfResults": 50}})
	body := string(res.body)
	for _, secretValue := range []string{generated, "a-chosen-entity-secret-0123456789", "an-upstream-client-secret-0123"} {
		if strings.Contains(body, secretValue) {
			t.Fatalf("the audit log holds a secret (%q): %s", secretValue, body)
		}
	}
	var messages []string
	for _, e := range res.json(t)["auditLogs"].([]any) {
		messages = append(messages, e.(map[string]any)["message"].(string))
	}
	for _, want := range []string{
		"Created the entity type with Id [",
		"Created the entity with Id [" + api + "]",
		"Created the entity with Id [" + client + "]",
		"Granted the entity with Id [" + client + "] permissions on the entity with Id [" + api + "]",
		"Updated the entity with Id [" + client + "]",
		"Deleted the grant to the entity with Id [" + client + "] on the entity with Id [" + api + "]",
		"Created the identity provider with Id [" + idpID + "]",
		"Deleted the identity provider with Id [" + idpID + "]",
	} {
		found := false
		for _, m := range messages {
			found = found || strings.HasPrefix(m, want)
		}
		if !found {
			t.Errorf("no audit entry %q in %q", want, messages)
		}
	}
}
