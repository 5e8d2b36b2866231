package server_test

import (
	"strings"
	"testing"
)

// TestRangeSearchParameters: the audit-log, login-record, webhook-event-log
// and event-log searches read start, end, startRow and numberOfResults
// alike, from GET's query string and POST's body: a value that is not a
// number is a 400 naming the parameter (never a 500 or an ignored filter),
// and startRow/numberOfResults page the answer.
func TestRangeSearchParameters(t *testing.T) {
	s := newStack(t)
	for _, msg := range []string{"first", "second", "third"} {
		s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "ops@example.test", "message": "range " + msg}})
	}
	searches := []string{"/api/system/audit-log/search", "/api/system/login-record/search", "/api/system/webhook-event-log/search", "/api/system/event-log/search"}
	for _, path := range searches {
		for _, p := range []string{"start", "end", "startRow", "numberOfResults"} {
			res := s.api("GET", path+"?"+p+"=yesterday", nil)
			if res.status != 400 || !strings.Contains(string(res.body), `"[invalid]`+p+`"`) {
				t.Errorf("GET %s?%s=yesterday: %d %s, want 400 [invalid]%s", path, p, res.status, res.body, p)
			}
			res = s.api("POST", path, `{"search":{"`+p+`":"yesterday"}}`)
			if res.status != 400 || !strings.Contains(string(res.body), `"search.`+p+`"`) {
				t.Errorf("POST %s {%s:\"yesterday\"}: %d %s, want 400 naming search.%s", path, p, res.status, res.body, p)
			}
		}
		if res := s.api("GET", path+"?start=1&end=4102444800000&startRow=0&numberOfResults=5", nil); res.status != 200 {
			t.Errorf("GET %s with numbers: %d %s", path, res.status, res.body)
		}
	}

	// Paging, both forms alike: three entries match "range", one a page,
	// each page another.
	seen := map[string]bool{}
	for row := range 3 {
		get := s.apiOK("GET", "/api/system/audit-log/search?message=range&numberOfResults=1&startRow="+string(rune('0'+row)), nil)
		post := s.apiOK("POST", "/api/system/audit-log/search", map[string]any{"search": map[string]any{
			"message": "range", "numberOfResults": 1, "startRow": row, "start": 1, "end": 4102444800000}})
		for _, page := range []map[string]any{get, post} {
			logs := page["auditLogs"].([]any)
			if len(logs) != 1 || page["total"].(float64) != 3 {
				t.Fatalf("page %d: %v", row, page)
			}
		}
		g := get["auditLogs"].([]any)[0].(map[string]any)["message"].(string)
		p := post["auditLogs"].([]any)[0].(map[string]any)["message"].(string)
		if g != p || seen[g] {
			t.Fatalf("page %d: GET %q, POST %q, seen %v", row, g, p, seen)
		}
		seen[g] = true
	}
	// An instant range that ends before the entries were written finds none.
	if page := s.apiOK("GET", "/api/system/audit-log/search?message=range&start=1&end=2", nil); page["total"].(float64) != 0 {
		t.Fatalf("a range in 1970 found %v", page)
	}
}
