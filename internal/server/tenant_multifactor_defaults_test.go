package server_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// tenantMultiFactor is the tenant's multiFactorConfiguration as GET
// /api/tenant/{id} answers it.
func (s *stack) tenantMultiFactor() map[string]any {
	s.t.Helper()
	res := s.do(call{method: "GET", path: "/api/tenant/" + tenantID, hdr: admin})
	if res.status != 200 {
		s.t.Fatalf("get tenant: %d %s", res.status, res.body)
	}
	mf, _ := res.json(s.t)["tenant"].(map[string]any)["multiFactorConfiguration"].(map[string]any)
	return mf
}

func methodOn(mf map[string]any, method string) bool {
	m, _ := mf[method].(map[string]any)
	on, _ := m["enabled"].(bool)
	return on
}

// multiFactorDefaults is FusionAuth's tenant.multiFactorConfiguration with
// the email method as given.
func multiFactorDefaults(t *testing.T, email bool) map[string]any {
	var m map[string]any
	must(t, json.Unmarshal([]byte(`{"authenticator":{"enabled":true,"algorithm":"HmacSHA1","codeLength":6,"timeStep":30},
		"email":{"enabled":`+strconv.FormatBool(email)+`},"loginPolicy":"Enabled"}`), &m))
	return m
}

// TestTenantMultiFactorPatchKeepsTheMethodsItDoesNotName: a tenant shows
// FusionAuth's two-factor defaults (authenticator on, email off,
// loginPolicy Enabled), whether it was stored with the section or without
// it (a tenant stored before the section existed); a PATCH turning the
// email method on changes that key alone, so users can still enrol an
// authenticator; a PUT that turns the authenticator off does turn it off.
func TestTenantMultiFactorPatchKeepsTheMethodsItDoesNotName(t *testing.T) {
	for name, edit := range map[string]func(map[string]*storage.Application, *storage.Tenant){
		"new tenant":                 func(map[string]*storage.Application, *storage.Tenant) {},
		"stored without the section": func(_ map[string]*storage.Application, tn *storage.Tenant) { tn.MultiFactorConfiguration = nil },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, edit)
			if got, want := s.tenantMultiFactor(), multiFactorDefaults(t, false); !reflect.DeepEqual(got, want) {
				t.Errorf("defaults: %v, want %v", got, want)
			}

			res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
				body: `{"tenant":{"multiFactorConfiguration":{"email":{"enabled":true}}}}`})
			if res.status != 200 {
				t.Fatalf("patch: %d %s", res.status, res.body)
			}
			if got, want := s.tenantMultiFactor(), multiFactorDefaults(t, true); !reflect.DeepEqual(got, want) {
				t.Fatalf("after the PATCH: %v, want %v", got, want)
			}
			enableTOTP(t, s)

			// A PUT naming the authenticator off turns it off.
			res = s.do(call{method: "GET", path: "/api/tenant/" + tenantID, hdr: admin})
			tenant := res.json(t)["tenant"].(map[string]any)
			tenant["multiFactorConfiguration"] = map[string]any{"authenticator": map[string]any{"enabled": false},
				"email": map[string]any{"enabled": true}}
			body, err := json.Marshal(map[string]any{"tenant": tenant})
			must(t, err)
			if res := s.do(call{method: "PUT", path: "/api/tenant/" + tenantID, hdr: admin, body: string(body)}); res.status != 200 {
				t.Fatalf("put: %d %s", res.status, res.body)
			}
			if mf := s.tenantMultiFactor(); methodOn(mf, "authenticator") || !methodOn(mf, "email") || mf["loginPolicy"] != "Enabled" {
				t.Fatalf("after the PUT: %v", mf)
			}
			res = s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: admin,
				body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
			if res.status != 400 || !strings.Contains(string(res.body), "[disabled]method") {
				t.Fatalf("enrolment with the authenticator off: %d %s", res.status, res.body)
			}
		})
	}
}
