package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestUserSearch pins FusionAuth's search answers (users.mdx "Search for
// Users"): POST with a queryString, GET with repeated ids (the TS client's
// searchUsersByIds), sorting and paging; users come with registrations.
func TestUserSearch(t *testing.T) {
	s := newStack(t)
	s.apiOK("POST", "/api/user/"+bobID, map[string]any{"user": map[string]any{"email": "bob@piedpiper.example",
		"firstName": "Bob", "lastName": "Builder", "password": "another good password"}})
	steps := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"search-query", "POST", "/api/user/search", map[string]any{"search": map[string]any{"queryString": "PIEDPIPER",
			"sortFields": []any{map[string]any{"name": "email", "order": "asc"}}}}, 200},
		{"search-ids", "GET", "/api/user/search?ids=" + aliceID + "&ids=" + bobID + "&ids=" + missing, nil, 200},
		{"search-sorted-paged", "GET", "/api/user/search?queryString=*&sortFields%5B0%5D.name=email&sortFields%5B0%5D.order=desc&numberOfResults=1&startRow=1", nil, 200},
		{"search-none", "POST", "/api/user/search", map[string]any{"search": map[string]any{"queryString": "nobody"}}, 200},
		{"search-elasticsearch-refused", "POST", "/api/user/search", map[string]any{"search": map[string]any{"query": `{"match_all":{}}`}}, 400},
		{"search-bad-sort", "POST", "/api/user/search", map[string]any{"search": map[string]any{"queryString": "*",
			"sortFields": []any{map[string]any{"name": "password", "order": "up"}}}}, 400},
		{"search-ids-and-query", "GET", "/api/user/search?ids=" + aliceID + "&queryString=bob", nil, 400},
		{"search-ids-not-uuid", "GET", "/api/user/search?ids=1%20OR%201%3D1", nil, 400},
		{"search-bad-number", "GET", "/api/user/search?queryString=*&numberOfResults=lots", nil, 400},
		{"search-negative-start", "GET", "/api/user/search?queryString=*&startRow=-1", nil, 400},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api(st.method, st.path, st.body)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
		})
	}
}

const bobID = "0f1a2b3c-0000-4000-8000-0000000000b2"

// TestUserSearchAdversarial: the query string and the sort fields are data,
// never SQL: LIKE's and FTS5's metacharacters, quotes and SQL comments match
// literally (or nothing), a sort field outside FusionAuth's list is refused,
// and no answer is a 500. A huge numberOfResults is bounded by
// manage.MaxPageSize while total still counts every match. A key scoped to
// a tenant neither sees nor counts another tenant's users, by query or by id.
func TestUserSearchAdversarial(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.seedUsers(520)
	queries := map[string]int{
		"' OR 1=1 --": 0, `%`: 0, `_`: 0, `"`: 0, `x" OR "a`: 0, `*" OR "*`: 0, `NEAR(a b)`: 0, `\`: 0,
		"user5*": 20, "*@bulk.example.test": 520, "USER00": 10, "*": 522, "alice": 2,
	}
	for q, want := range queries {
		t.Run("query "+q, func(t *testing.T) {
			res := s.api("GET", "/api/user/search?queryString="+url.QueryEscape(q), nil)
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			if got := int(res.json(t)["total"].(float64)); got != want {
				t.Fatalf("total %d, want %d", got, want)
			}
		})
	}
	t.Run("sort field injection", func(t *testing.T) {
		res := s.api("GET", "/api/user/search?queryString=*&sortFields%5B0%5D.name="+url.QueryEscape("email; DROP TABLE users --"), nil)
		if res.status != 400 || !strings.Contains(string(res.body), "[invalid]search.sortFields[0].name") {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if total := s.apiOK("GET", "/api/user/search?queryString=*", nil)["total"].(float64); total != 522 {
			t.Fatalf("after the refused sort, %v users", total)
		}
	})
	t.Run("huge numberOfResults is bounded", func(t *testing.T) {
		body := s.apiOK("POST", "/api/user/search", map[string]any{"search": map[string]any{"queryString": "*", "numberOfResults": 1 << 40}})
		if n, total := len(body["users"].([]any)), body["total"].(float64); n != 500 || total != 522 {
			t.Fatalf("%d users, total %v; want 500 of 522", n, total)
		}
	})
	t.Run("tenant-scoped key", func(t *testing.T) {
		body := s.apiOK("GET", "/api/user/search?queryString=alice", nil, "Authorization", scopedKey)
		users := body["users"].([]any)
		if body["total"].(float64) != 1 || len(users) != 1 || users[0].(map[string]any)["id"] != aliceID {
			t.Fatalf("scoped search: %v", body)
		}
		body = s.apiOK("GET", "/api/user/search?ids="+otherUserID+"&ids="+aliceID, nil, "Authorization", scopedKey)
		if body["total"].(float64) != 1 || len(body["users"].([]any)) != 1 {
			t.Fatalf("scoped bulk retrieve returned another tenant's user: %v", body)
		}
		if res := s.api("GET", "/api/user/search?queryString=*", nil, "Authorization", scopedKey, "X-FusionAuth-TenantId", otherTenant); res.status != 401 {
			t.Fatalf("scoped key naming another tenant: %d", res.status)
		}
	})
}
