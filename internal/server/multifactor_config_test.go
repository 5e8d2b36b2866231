package server_test

import (
	"strings"
	"testing"
)

// TestMultiFactorPoliciesLatchkeyCannotKeepAreRefused: loginPolicy Required
// (enrolment inside the login) is not enforced by latchkey, so saving it is
// a 400 rather than a setting that would let users without a method in on
// their password alone; unknown policies are refused too, and nothing is
// stored. Enabled, Disabled and the trust policies are kept.
func TestMultiFactorPoliciesLatchkeyCannotKeepAreRefused(t *testing.T) {
	s := newStack(t)
	res := s.do(call{method: "POST", path: "/api/application", hdr: admin, body: `{"application":{"name":"mfa-policies"}}`})
	if res.status != 200 {
		t.Fatalf("create application: %d %s", res.status, res.body)
	}
	app := "/api/application/" + res.json(t)["application"].(map[string]any)["id"].(string)
	for name, tc := range map[string]struct {
		path, body, field string
	}{
		"tenant Required":      {"/api/tenant/" + tenantID, `{"tenant":{"multiFactorConfiguration":{"loginPolicy":"Required"}}}`, "tenant.multiFactorConfiguration.loginPolicy"},
		"tenant unknown":       {"/api/tenant/" + tenantID, `{"tenant":{"multiFactorConfiguration":{"loginPolicy":"Sometimes"}}}`, "tenant.multiFactorConfiguration.loginPolicy"},
		"application Required": {app, `{"application":{"multiFactorConfiguration":{"loginPolicy":"Required"}}}`, "application.multiFactorConfiguration.loginPolicy"},
		"application trust":    {app, `{"application":{"multiFactorConfiguration":{"trustPolicy":"Always"}}}`, "application.multiFactorConfiguration.trustPolicy"},
	} {
		res := s.do(call{method: "PATCH", path: tc.path, hdr: admin, body: tc.body})
		if res.status != 400 || !strings.Contains(string(res.body), `"`+tc.field+`"`) || strings.Count(string(res.body), `"code"`) != 1 {
			t.Errorf("%s: %d %s", name, res.status, res.body)
		}
	}
	res = s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"multiFactorConfiguration":{"loginPolicy":"Required"}}}`})
	managementGolden(t, "tenant-login-policy-required-400", res.status, res.body)
	if res := s.do(call{method: "GET", path: "/api/tenant/" + tenantID, hdr: admin}); strings.Contains(string(res.body), `"loginPolicy":"Required"`) {
		t.Fatalf("a refused policy was stored: %s", res.body)
	}

	// What latchkey enforces is kept.
	for _, tc := range []struct{ path, body, want string }{
		{"/api/tenant/" + tenantID, `{"tenant":{"multiFactorConfiguration":{"loginPolicy":"Disabled"}}}`, `"loginPolicy":"Disabled"`},
		{app, `{"application":{"multiFactorConfiguration":{"loginPolicy":"Enabled","trustPolicy":"This"}}}`, `"trustPolicy":"This"`},
	} {
		res := s.do(call{method: "PATCH", path: tc.path, hdr: admin, body: tc.body})
		if res.status != 200 || !strings.Contains(string(res.body), tc.want) {
			t.Errorf("PATCH %s: %d %s", tc.body, res.status, res.body)
		}
	}
}
