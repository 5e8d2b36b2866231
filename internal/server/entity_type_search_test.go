package server_test

import (
	"bytes"
	"slices"
	"testing"
)

// TestEntityTypeSearch: POST /api/entity/type/search is FusionAuth's
// EntityTypeSearchRequest: search.name is a pattern (no '*': contains,
// case-insensitively), startRow and numberOfResults page the matches and
// total counts them all; bad paging is 400, a key without the endpoint 401.
// It was POST /api/entity/type/{id}: 400 [couldNotConvert]entityTypeId.
func TestEntityTypeSearch(t *testing.T) {
	s := newStack(t)
	for _, name := range []string{"Printer", "Scanner", "Door sensor", "Smoke sensor"} {
		s.apiOK("POST", "/api/entity/type", map[string]any{"entityType": map[string]any{"name": name,
			"permissions": []map[string]any{{"name": "read"}}}})
	}
	names := func(m map[string]any) []string {
		var out []string
		for _, t := range m["entityTypes"].([]any) {
			out = append(out, t.(map[string]any)["name"].(string))
		}
		return out
	}
	for _, c := range []struct {
		search string
		want   []string
		total  float64
	}{
		{`{"name":"SENSOR"}`, []string{"Door sensor", "Smoke sensor"}, 2},
		{`{"name":"*er"}`, []string{"Printer", "Scanner"}, 2},
		{`{"name":"sensor","numberOfResults":1,"startRow":1}`, []string{"Smoke sensor"}, 2},
		{`{}`, []string{"Door sensor", "Printer", "Scanner", "Smoke sensor"}, 4},
		{`{"name":"nothing"}`, nil, 0},
	} {
		got := s.apiOK("POST", "/api/entity/type/search", `{"search":`+c.search+`}`)
		if n := names(got); !slices.Equal(n, c.want) || got["total"] != c.total {
			t.Errorf("%s: %v total %v, want %v total %v", c.search, n, got["total"], c.want, c.total)
		}
		if c.total > 0 && got["entityTypes"].([]any)[0].(map[string]any)["permissions"] == nil {
			t.Errorf("%s: the types come without their permissions", c.search)
		}
	}
	if res := s.api("POST", "/api/entity/type/search", `{"search":{"startRow":-1}}`); res.status != 400 || !bytes.Contains(res.body, []byte("search.startRow")) {
		t.Errorf("startRow -1: %d %s", res.status, res.body)
	}
	if res := s.api("POST", "/api/entity/type/search", `{"search":{}}`, "Authorization", ""); res.status != 401 {
		t.Errorf("without a key: %d %s", res.status, res.body)
	}
}
