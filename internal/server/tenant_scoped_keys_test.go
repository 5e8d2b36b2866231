package server_test

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestTenantScopedKeyRefusedOnGlobalRoutes: every route the table marks
// global (system configuration, signing keys, templates, webhooks, lambdas,
// identity providers, entity types, metrics) answers a tenant-scoped super
// key with 403 and FusionAuth's error body before its handler runs, and the
// writes change nothing a global key can see.
func TestTenantScopedKeyRefusedOnGlobalRoutes(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	ids := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for _, rt := range s.Srv.RoutesForTest() {
		if !rt.Global {
			continue
		}
		n++
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = ids.ReplaceAllString(path, "0f1a2b3c-0000-4000-8000-0000000000ee")
		res := s.api(method, path, "{}", "Authorization", scopedKey)
		if res.status != 403 || !bytes.Contains(res.body, []byte("[TenantScopedKey]")) {
			t.Errorf("%s %s with a tenant-scoped key: %d %s, want 403 [TenantScopedKey]", method, path, res.status, res.body)
		}
	}
	if n < 40 {
		t.Fatalf("only %d global routes in the table", n)
	}

	before := s.apiOK("GET", "/api/system-configuration", nil)
	keysBefore := s.apiOK("GET", "/api/key", nil)
	writes := []struct{ method, path, body string }{
		{"PATCH", "/api/system-configuration", `{"systemConfiguration":{"corsConfiguration":{"enabled":true,"allowCredentials":true,"allowedOrigins":["https://evil.example.test"]}}}`},
		{"PUT", "/api/system-configuration", `{"systemConfiguration":{"reportTimezone":"Europe/Paris"}}`},
		{"POST", "/api/key/rotate", `{"algorithm":"ES256"}`},
		{"POST", "/api/webhook", `{"webhook":{"url":"https://evil.example.test/hook","global":true}}`},
		{"POST", "/api/identity-provider", `{"identityProvider":{"type":"OpenIDConnect","name":"Evil"}}`},
		{"POST", "/api/entity/type", `{"entityType":{"name":"Evil"}}`},
	}
	for _, w := range writes {
		if res := s.api(w.method, w.path, w.body, "Authorization", scopedKey); res.status != 403 {
			t.Errorf("%s %s: %d %s", w.method, w.path, res.status, res.body)
		}
	}
	if after := s.apiOK("GET", "/api/system-configuration", nil); !reflect.DeepEqual(before, after) {
		t.Errorf("system configuration changed:\n%v\n%v", before, after)
	}
	if after := s.apiOK("GET", "/api/key", nil); !reflect.DeepEqual(keysBefore, after) {
		t.Errorf("signing keys changed:\n%v\n%v", keysBefore, after)
	}
	for _, list := range []struct{ path, field string }{{"/api/webhook", "webhooks"}, {"/api/identity-provider", "identityProviders"}, {"/api/entity/type", "entityTypes"}} {
		if got := s.apiOK("GET", list.path, nil)[list.field]; got != nil && len(got.([]any)) != 0 {
			t.Errorf("%s after refused creates: %v", list.path, got)
		}
	}
}
