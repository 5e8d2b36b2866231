package server_test

import "testing"

// TestDeleteAPIKey: DELETE /api/api-key/{id} removes a key, which is
// refused on its next request, with an audit entry; a key cannot delete
// itself; an unknown id is 404 and nothing is deleted.
func TestDeleteAPIKey(t *testing.T) {
	s := newStack(t)
	const doomed = "doomed-api-key-0123456789abcdef0123456789abcdef"
	created := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": doomed, "keyManager": true}})
	id := created["apiKey"].(map[string]any)["id"].(string)
	if res := s.api("GET", "/api/api-key", nil, "Authorization", doomed); res.status != 200 {
		t.Fatalf("the new key before its deletion: %d", res.status)
	}
	if res := s.api("DELETE", "/api/api-key/"+id, nil, "Authorization", doomed); res.status != 400 {
		t.Fatalf("a key deleting itself: %d %s", res.status, res.body)
	}
	if res := s.api("DELETE", "/api/api-key/0f1a2b3c-0000-4000-8000-0000000000ff", nil); res.status != 404 {
		t.Fatalf("an unknown key: %d %s", res.status, res.body)
	}
	if res := s.api("DELETE", "/api/api-key/"+id, nil); res.status != 200 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if res := s.api("GET", "/api/api-key", nil, "Authorization", doomed); res.status != 401 {
		t.Fatalf("the deleted key still works: %d", res.status)
	}
	if res := s.api("GET", "/api/api-key/"+id, nil); res.status != 404 {
		t.Fatalf("the deleted key is still listed: %d", res.status)
	}
	audit := s.apiOK("GET", "/api/system/audit-log/search?message=Deleted+the+API+key", nil)
	if audit["total"].(float64) != 1 {
		t.Fatalf("audit entries of the deletion: %v", audit)
	}
}
