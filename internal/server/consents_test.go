package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consentBody is a POST /api/consent body with name and the required age.
func consentBody(name string, more map[string]any) map[string]any {
	c := map[string]any{"name": name, "defaultMinimumAgeForSelfConsent": 13}
	for k, v := range more {
		c[k] = v
	}
	return map[string]any{"consent": c}
}

// storedConsents is every consent definition in the store, each with its
// revision (how many writes it has had).
func (s *stack) storedConsents() []storage.Consent {
	s.t.Helper()
	list, err := s.Store.ListConsents(context.Background())
	must(s.t, err)
	for i, c := range list {
		list[i], err = s.Store.GetConsent(context.Background(), c.ID)
		must(s.t, err)
	}
	return list
}

// emailTemplate stores an email template and returns its id.
func (s *stack) emailTemplate() string {
	s.t.Helper()
	res := s.apiOK("POST", "/api/email/template", map[string]any{"emailTemplate": map[string]any{
		"name": "Consent " + uuid.NewString(), "defaultSubject": "Consent", "defaultTextTemplate": "x", "defaultHtmlTemplate": "<p>x</p>"}})
	return res["emailTemplate"].(map[string]any)["id"].(string)
}

// TestConsents pins the consent definitions (apis/consents): create with
// and without an id (answered with the instants and emailPlus's default
// hours), retrieve one and all (by name), PUT replaces, PATCH merges
// (FusionAuth's legacy merge appends to values),
// search by name (any case, '*' wildcards) with orderBy and paging both by
// GET and POST, delete; each write leaves an audit entry.
func TestConsents(t *testing.T) {
	s := newStack(t)
	tpl := s.emailTemplate()
	const id = "0f1a2b3c-0000-4000-8000-00000000c0c1"
	res := s.api("POST", "/api/consent/"+id, consentBody("Patient Consent", map[string]any{
		"consentEmailTemplateId": tpl, "countryMinimumAgeForSelfConsent": map[string]any{"de": 21},
		"emailPlus": map[string]any{"enabled": true, "emailTemplateId": tpl}, "multipleValuesAllowed": false,
		"values": []string{"Written", "Verbal"}, "data": map[string]any{"kind": "medical"}}))
	if res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	managementGolden(t, "consent-create", res.status, res.body)
	s.Clock.Advance(time.Minute)
	other := s.apiOK("POST", "/api/consent", consentBody("analytics", nil))["consent"].(map[string]any)
	if other["id"] == "" || other["insertInstant"] != float64(s.Clock.Now().UnixMilli()) {
		t.Fatalf("created without an id: %v", other)
	}
	res = s.api("GET", "/api/consent/"+id, nil)
	managementGolden(t, "consent-retrieve", res.status, res.body)
	if got := members(t, s.apiOK("GET", "/api/consent", nil)["consents"], "name"); !equal(got, []string{"analytics", "Patient Consent"}) {
		t.Fatalf("list: %q", got)
	}

	s.Clock.Advance(time.Minute)
	put := s.apiOK("PUT", "/api/consent/"+id, consentBody("Patient consent v2", map[string]any{"values": []string{"Written"}}))["consent"].(map[string]any)
	if put["name"] != "Patient consent v2" || put["consentEmailTemplateId"] != nil || put["insertInstant"] == put["lastUpdateInstant"] {
		t.Fatalf("PUT replaces the consent, keeps insertInstant: %v", put)
	}
	patched := s.apiOK("PATCH", "/api/consent/"+id, map[string]any{"consent": map[string]any{"multipleValuesAllowed": true,
		"values": []string{"Email"}}})["consent"].(map[string]any)
	if patched["name"] != "Patient consent v2" || patched["multipleValuesAllowed"] != true || patched["defaultMinimumAgeForSelfConsent"] != 13.0 {
		t.Fatalf("PATCH merges into the consent: %v", patched)
	}
	got, err := s.Store.GetConsent(context.Background(), id)
	must(t, err)
	if got.Name != "Patient consent v2" || !got.MultipleValuesAllowed || len(got.Values) != 2 {
		t.Fatalf("stored after the PATCH: %+v", got)
	}

	for _, c := range []struct {
		name, path string
		body       any
		want       []string
		total      float64
	}{
		{"POST, any case", "/api/consent/search", map[string]any{"search": map[string]any{"name": "PATIENT"}}, []string{"Patient consent v2"}, 1},
		{"POST, wildcard", "/api/consent/search", map[string]any{"search": map[string]any{"name": "*lytics"}}, []string{"analytics"}, 1},
		{"POST, every one by insertInstant DESC", "/api/consent/search", map[string]any{"search": map[string]any{"orderBy": "insertInstant DESC"}},
			[]string{"analytics", "Patient consent v2"}, 2},
		{"POST, second page", "/api/consent/search", map[string]any{"search": map[string]any{"startRow": 1, "numberOfResults": 1}}, []string{"Patient consent v2"}, 2},
		{"GET, by name", "/api/consent/search?name=consent", nil, []string{"Patient consent v2"}, 1},
		{"GET, paged", "/api/consent/search?numberOfResults=1&orderBy=name+DESC", nil, []string{"Patient consent v2"}, 2},
		{"GET, none", "/api/consent/search?name=nothing", nil, []string{}, 0},
	} {
		method := "POST"
		if c.body == nil {
			method = "GET"
		}
		m := s.apiOK(method, c.path, c.body)
		if got := members(t, m["consents"], "name"); !equal(got, c.want) || m["total"] != c.total {
			t.Errorf("%s: %q total %v, want %q total %v", c.name, got, m["total"], c.want, c.total)
		}
	}
	res = s.api("GET", "/api/consent/search?name=analytics", nil)
	managementGolden(t, "consent-search", res.status, res.body)

	s.apiOK("DELETE", "/api/consent/"+id, nil)
	if res := s.api("GET", "/api/consent/"+id, nil); res.status != 404 {
		t.Fatalf("deleted consent: %d %s", res.status, res.body)
	}
	if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "consent with Id [" + id + "]", Limit: 10}); err != nil || n != 4 {
		t.Fatalf("audit entries of the consent's create, PUT, PATCH and delete: %d (%v), want 4", n, err)
	}
}

// TestConsentRefusals: a consent without a name or age, a duplicate name
// (any case) or id, an unknown email template, values missing when several
// are allowed, blank, repeated or too many values, a negative age, a bad
// emailPlus, malformed bodies and searches are 400 in FusionAuth's shape
// and change nothing (not even the audit log); an unknown id is 404.
func TestConsentRefusals(t *testing.T) {
	s := newStack(t)
	const id = "0f1a2b3c-0000-4000-8000-00000000c0c1"
	s.apiOK("POST", "/api/consent/"+id, consentBody("Marketing", map[string]any{"values": []string{"Email"}}))
	before := s.storedConsents()
	unknown := "0f1a2b3c-0000-4000-8000-00000000dead"
	many := make([]string, manage.MaxConsentValues+1)
	for i := range many {
		many[i] = uuid.NewString()
	}
	s.wantRefusals([]refusal{
		{"nothing", "POST", "/api/consent", map[string]any{"consent": map[string]any{}}, 400,
			[]string{"[blank]consent.name", "[blank]consent.defaultMinimumAgeForSelfConsent"}},
		{"no consent object", "POST", "/api/consent", map[string]any{}, 400, []string{"[missing]consent"}},
		{"duplicate name", "POST", "/api/consent", consentBody("MARKETING", nil), 400, []string{"[duplicate]consent.name"}},
		{"duplicate id", "POST", "/api/consent/" + id, consentBody("Other", nil), 400, []string{"[duplicate]consent.id"}},
		{"duplicate name with another problem", "POST", "/api/consent", map[string]any{"consent": map[string]any{"name": "marketing",
			"defaultMinimumAgeForSelfConsent": -1}}, 400, []string{"[duplicate]consent.name", "[invalid]consent.defaultMinimumAgeForSelfConsent"}},
		{"NUL in the name", "POST", "/api/consent", consentBody("Mail\x00ing", nil), 400, []string{"[invalid]consent.name"}},
		{"control character in a renamed consent", "PUT", "/api/consent/" + id, consentBody("Mark\neting", nil), 400, []string{"[invalid]consent.name"}},
		{"age beyond a lifetime", "POST", "/api/consent", consentBody("x", map[string]any{"defaultMinimumAgeForSelfConsent": 9223372036854775807}), 400,
			[]string{"[invalid]consent.defaultMinimumAgeForSelfConsent"}},
		{"country age beyond a lifetime", "POST", "/api/consent", consentBody("x", map[string]any{"countryMinimumAgeForSelfConsent": map[string]any{"de": 151}}), 400,
			[]string{"[invalid]consent.countryMinimumAgeForSelfConsent"}},
		{"unknown template", "POST", "/api/consent", consentBody("x", map[string]any{"consentEmailTemplateId": unknown}), 400,
			[]string{"[invalid]consent.consentEmailTemplateId"}},
		{"template not a UUID", "POST", "/api/consent", consentBody("x", map[string]any{"consentEmailTemplateId": "'; DROP TABLE consents"}), 400,
			[]string{"[invalid]consent.consentEmailTemplateId"}},
		{"emailPlus without its template", "POST", "/api/consent", consentBody("x", map[string]any{"emailPlus": map[string]any{"enabled": true}}), 400,
			[]string{"[blank]consent.emailPlus.emailTemplateId"}},
		{"multiple without values", "POST", "/api/consent", consentBody("x", map[string]any{"multipleValuesAllowed": true}), 400,
			[]string{"[blank]consent.values"}},
		{"repeated value", "POST", "/api/consent", consentBody("x", map[string]any{"values": []string{"a", "a"}}), 400,
			[]string{"[duplicate]consent.values"}},
		{"blank value", "POST", "/api/consent", consentBody("x", map[string]any{"values": []string{" "}}), 400, []string{"[blank]consent.values"}},
		{"too many values", "POST", "/api/consent", consentBody("x", map[string]any{"values": many}), 400, []string{"[tooMany]consent.values"}},
		{"negative age", "POST", "/api/consent", map[string]any{"consent": map[string]any{"name": "x", "defaultMinimumAgeForSelfConsent": -1}}, 400,
			[]string{"[invalid]consent.defaultMinimumAgeForSelfConsent"}},
		{"negative country age", "POST", "/api/consent", consentBody("x", map[string]any{"countryMinimumAgeForSelfConsent": map[string]any{"de": -3}}), 400,
			[]string{"[invalid]consent.countryMinimumAgeForSelfConsent"}},
		{"name too long", "POST", "/api/consent", consentBody(strings.Repeat("n", manage.MaxConsentNameLength+1), nil), 400,
			[]string{"[tooLong]consent.name"}},
		{"age not a number", "POST", "/api/consent", `{"consent":{"name":"x","defaultMinimumAgeForSelfConsent":"old"}}`, 400,
			[]string{"consent.defaultMinimumAgeForSelfConsent"}},
		{"not JSON", "POST", "/api/consent", "{", 400, []string{"[invalid]"}},
		{"id not a UUID", "POST", "/api/consent/nope", consentBody("x", nil), 400, []string{"[couldNotConvert]consentId"}},
		{"PUT, blank name", "PUT", "/api/consent/" + id, consentBody("", nil), 400, []string{"[blank]consent.name"}},
		{"PATCH, a value repeated", "PATCH", "/api/consent/" + id,
			map[string]any{"consent": map[string]any{"values": []string{"Email"}}}, 400, []string{"[duplicate]consent.values"}},
		{"PUT, several allowed without values", "PUT", "/api/consent/" + id, consentBody("Marketing", map[string]any{"multipleValuesAllowed": true}), 400,
			[]string{"[blank]consent.values"}},
		{"PUT, unknown", "PUT", "/api/consent/" + unknown, consentBody("y", nil), 404, nil},
		{"GET, unknown", "GET", "/api/consent/" + unknown, nil, 404, nil},
		{"DELETE, unknown", "DELETE", "/api/consent/" + unknown, nil, 404, nil},
		{"search, bad order", "POST", "/api/consent/search", map[string]any{"search": map[string]any{"orderBy": "name; DROP TABLE consents"}}, 400,
			[]string{"[invalid]search.orderBy"}},
		{"search, negative row", "GET", "/api/consent/search?startRow=-1", nil, 400, []string{"[invalid]search.startRow"}},
		{"search, row not a number", "GET", "/api/consent/search?startRow=x", nil, 400, []string{"[invalid]startRow"}},
	})
	if after := s.storedConsents(); len(after) != 1 || after[0].Name != before[0].Name || after[0].Revision != before[0].Revision {
		t.Fatalf("the refused writes changed the consents: %+v", after)
	}
	if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "consent", Limit: 10}); err != nil || n != 1 {
		t.Fatalf("audit entries after the refusals: %d (%v), want only the create's", n, err)
	}
}

// TestConsentsNeedTheirPermission: without a key, with a key for other
// endpoints, or with a read-only /api/consent key, the writes are 401 and
// change nothing; the search has its own permission, /api/consent/search.
func TestConsentsNeedTheirPermission(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	const id = "0f1a2b3c-0000-4000-8000-00000000c0c1"
	s.apiOK("POST", "/api/consent/"+id, consentBody("Marketing", nil))
	keys := map[string]map[string][]string{
		"user-only-key-0123456789abcdef0123456789abcdef": {"/api/user": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"read-only-key-0123456789abcdef0123456789abcdef": {"/api/consent": {"GET"}},
	}
	for key, endpoints := range keys {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(key), Endpoints: endpoints,
			InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	search := map[string]any{"search": map[string]any{}}
	for _, c := range []struct {
		key, method, path string
		body              any
		status            int
	}{
		{"", "POST", "/api/consent", consentBody("new", nil), 401},
		{"", "GET", "/api/consent/" + id, nil, 401},
		{"", "DELETE", "/api/consent/" + id, nil, 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/consent", consentBody("new", nil), 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/consent", nil, 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/consent/search", search, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/consent", consentBody("new", nil), 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "PUT", "/api/consent/" + id, consentBody("renamed", nil), 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "PATCH", "/api/consent/" + id, consentBody("renamed", nil), 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "DELETE", "/api/consent/" + id, nil, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/consent/search", nil, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/consent/" + id, nil, 200},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status {
			t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, c.key, res.status, res.body, c.status)
		}
	}
	if list := s.storedConsents(); len(list) != 1 || list[0].Name != "Marketing" || list[0].Revision != 1 {
		t.Fatalf("a refused key changed the consents: %+v", list)
	}
}

// TestConsentsRefuseTenantScopedKeys: consents are global in FusionAuth
// (global-api-key), so a tenant-scoped key is 403 [TenantScopedKey] on
// every definition endpoint, and changes nothing.
func TestConsentsRefuseTenantScopedKeys(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	const id = "0f1a2b3c-0000-4000-8000-00000000c0c1"
	s.apiOK("POST", "/api/consent/"+id, consentBody("Marketing", nil))
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/consent", consentBody("new", nil)},
		{"GET", "/api/consent", nil},
		{"GET", "/api/consent/" + id, nil},
		{"PUT", "/api/consent/" + id, consentBody("renamed", nil)},
		{"PATCH", "/api/consent/" + id, consentBody("renamed", nil)},
		{"DELETE", "/api/consent/" + id, nil},
		{"GET", "/api/consent/search", nil},
		{"POST", "/api/consent/search", map[string]any{"search": map[string]any{}}},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", scopedKey)
		if res.status != 403 || !strings.Contains(string(res.body), "[TenantScopedKey]") {
			t.Errorf("%s %s with a tenant-scoped key: %d %s, want 403 [TenantScopedKey]", c.method, c.path, res.status, res.body)
		}
	}
	if list := s.storedConsents(); len(list) != 1 || list[0].Name != "Marketing" || list[0].Revision != 1 {
		t.Fatalf("the scoped key changed the consents: %+v", list)
	}
}
