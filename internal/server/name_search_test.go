package server_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// searchNames lists the name of each record of list in m.
func searchNames(m map[string]any, list string) []string {
	var out []string
	for _, r := range m[list].([]any) {
		out = append(out, r.(map[string]any)["name"].(string))
	}
	return out
}

// TestApplicationSearch: POST /api/application/search is FusionAuth's
// ApplicationSearchRequest: search.name a pattern (no '*': contains, any
// case), state and tenantId filters (a tenant-scoped key sees its tenant
// only), orderBy (name ASC by default), startRow and numberOfResults page
// the matches and total counts them all; each application is as GET
// /api/application answers it. Bad criteria are 400 naming the field; no
// key, or a key without /api/application/search, 401. It was 404.
func TestApplicationSearch(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	admin := s.apiOK("POST", "/api/application", map[string]any{"application": map[string]any{"name": "Store admin"}})["application"].(map[string]any)["id"].(string)
	s.apiOK("POST", "/api/application", map[string]any{"application": map[string]any{"name": "Billing"}})
	if res := s.api("DELETE", "/api/application/"+admin, nil); res.status != 200 {
		t.Fatalf("deactivate Store admin: %d %s", res.status, res.body)
	}
	must(t, s.Store.CreateApplication(context.Background(), storage.Application{ID: "0f1a2b3c-0000-4000-8000-0000000000f5",
		TenantID: otherTenant, Name: "Other store", Active: true, State: "Active", Roles: []storage.ApplicationRole{}}))
	for _, c := range []struct {
		search string
		key    string
		want   []string
		total  float64
	}{
		{`{"name":"STORE"}`, apiKey, []string{"Other store", "Store", "Store admin"}, 3},
		{`{"name":"STORE"}`, scopedKey, []string{"Store", "Store admin"}, 2},
		{`{"name":"store","tenantId":"` + otherTenant + `"}`, apiKey, []string{"Other store"}, 1},
		{`{"name":"store","tenantId":"` + otherTenant + `"}`, scopedKey, []string{"Store", "Store admin"}, 2},
		{`{"name":"s*"}`, scopedKey, []string{"Store", "Store admin"}, 2},
		{`{"name":"*s"}`, scopedKey, []string{"Forums"}, 1},
		{`{"state":"Inactive"}`, scopedKey, []string{"Store admin"}, 1},
		{`{"name":"store","state":"Active"}`, scopedKey, []string{"Store"}, 1},
		{`{"orderBy":"name DESC","startRow":1,"numberOfResults":2}`, scopedKey, []string{"Store", "Forums"}, 4},
		{`{"name":"store","orderBy":"tenant desc","numberOfResults":1}`, apiKey, []string{"Other store"}, 3},
		{`{}`, scopedKey, []string{"Billing", "Forums", "Store", "Store admin"}, 4},
		{`{"name":"nothing"}`, apiKey, nil, 0},
	} {
		got := s.apiOK("POST", "/api/application/search", `{"search":`+c.search+`}`, "Authorization", c.key)
		if n := searchNames(got, "applications"); !slices.Equal(n, c.want) || got["total"] != c.total {
			t.Errorf("%s (scoped %v): %v total %v, want %v total %v", c.search, c.key == scopedKey, n, got["total"], c.want, c.total)
		}
	}
	found := s.apiOK("POST", "/api/application/search", `{"search":{"name":"Forums"}}`)["applications"].([]any)[0]
	for _, a := range s.apiOK("GET", "/api/application", nil)["applications"].([]any) {
		if a.(map[string]any)["id"] == forumsApp && !reflect.DeepEqual(a, found) {
			t.Errorf("the search answers %v, GET /api/application %v", found, a)
		}
	}
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "apps-key-0123456789abcdef0123",
		"permissions": map[string]any{"endpoints": map[string]any{"/api/application": []string{"GET", "POST", "PUT", "PATCH", "DELETE"}}}}})
	for _, c := range []struct {
		body   string
		hdr    []string
		status int
		code   string
	}{
		{`{"search":{"startRow":-1}}`, nil, 400, "[invalid]search.startRow"},
		{`{"search":{"orderBy":"color"}}`, nil, 400, "[invalid]search.orderBy"},
		{`{"search":{"orderBy":"name UP"}}`, nil, 400, "[invalid]search.orderBy"},
		{`{"search":{"state":"Paused"}}`, nil, 400, "[invalid]search.state"},
		{`{"search":{"tenantId":"other"}}`, nil, 400, "[couldNotConvert]search.tenantId"},
		{`{"search":{"name":7}}`, nil, 400, "search.name"},
		{`{"search":{}}`, []string{"Authorization", ""}, 401, ""},
		{`{"search":{}}`, []string{"Authorization", "apps-key-0123456789abcdef0123"}, 401, ""},
	} {
		if res := s.api("POST", "/api/application/search", c.body, c.hdr...); res.status != c.status || !bytes.Contains(res.body, []byte(c.code)) {
			t.Errorf("%s %v: %d %s, want %d %s", c.body, c.hdr, res.status, res.body, c.status, c.code)
		}
	}
}

// TestEmailTemplateSearch: POST /api/email/template/search is FusionAuth's
// EmailTemplateSearchRequest: search.name a pattern (no '*': contains, any
// case), orderBy (name ASC by default), startRow and numberOfResults page
// the matches and total counts them all; each template is as GET
// /api/email/template answers it. Bad criteria are 400 naming the field;
// no key, or a key without /api/email/template/search, 401; templates are
// global, so a tenant-scoped key is 403. It was 404.
func TestEmailTemplateSearch(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	for _, name := range []string{"Zeta welcome", "Zeta reset", "zeta Goodbye"} {
		s.apiOK("POST", "/api/email/template", map[string]any{"emailTemplate": map[string]any{"name": name,
			"defaultSubject": "Hi", "defaultHtmlTemplate": "<p>Hi</p>", "defaultTextTemplate": "Hi", "fromEmail": "hello@example.test"}})
	}
	all := s.apiOK("GET", "/api/email/template", nil)["emailTemplates"].([]any)
	for _, c := range []struct {
		search string
		want   []string
		total  float64
	}{
		{`{"name":"ZETA"}`, []string{"zeta Goodbye", "Zeta reset", "Zeta welcome"}, 3},
		{`{"name":"*reset"}`, []string{"Zeta reset"}, 1},
		{`{"name":"zeta *e"}`, []string{"zeta Goodbye", "Zeta welcome"}, 2},
		{`{"name":"zeta","orderBy":"name DESC","startRow":1,"numberOfResults":1}`, []string{"Zeta reset"}, 3},
		{`{"name":"nothing"}`, nil, 0},
	} {
		got := s.apiOK("POST", "/api/email/template/search", `{"search":`+c.search+`}`)
		if n := searchNames(got, "emailTemplates"); !slices.Equal(n, c.want) || got["total"] != c.total {
			t.Errorf("%s: %v total %v, want %v total %v", c.search, n, got["total"], c.want, c.total)
		}
	}
	got := s.apiOK("POST", "/api/email/template/search", `{"search":{"numberOfResults":500}}`)
	if page := got["emailTemplates"].([]any); got["total"] != float64(len(all)) || len(page) != len(all) {
		t.Fatalf("every template: %d of total %v, want %d", len(page), got["total"], len(all))
	} else {
		for _, want := range all {
			i := slices.IndexFunc(page, func(p any) bool { return p.(map[string]any)["id"] == want.(map[string]any)["id"] })
			if i < 0 || !reflect.DeepEqual(page[i], want) {
				t.Errorf("GET /api/email/template answers %v, the search %v", want, page[max(i, 0)])
			}
		}
	}
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "mail-key-0123456789abcdef0123",
		"permissions": map[string]any{"endpoints": map[string]any{"/api/email/template": []string{"GET", "POST", "PUT", "PATCH", "DELETE"}}}}})
	for _, c := range []struct {
		body   string
		hdr    []string
		status int
		code   string
	}{
		{`{"search":{"numberOfResults":-1}}`, nil, 400, "[invalid]search.numberOfResults"},
		{`{"search":{"orderBy":"subject"}}`, nil, 400, "[invalid]search.orderBy"},
		{`not json`, nil, 400, ""},
		{`{"search":{}}`, []string{"Authorization", ""}, 401, ""},
		{`{"search":{}}`, []string{"Authorization", "mail-key-0123456789abcdef0123"}, 401, ""},
		{`{"search":{}}`, []string{"Authorization", scopedKey}, 403, "[TenantScopedKey]"},
	} {
		if res := s.api("POST", "/api/email/template/search", c.body, c.hdr...); res.status != c.status || !bytes.Contains(res.body, []byte(c.code)) {
			t.Errorf("%s %v: %d %s, want %d %s", c.body, c.hdr, res.status, res.body, c.status, c.code)
		}
	}
}
