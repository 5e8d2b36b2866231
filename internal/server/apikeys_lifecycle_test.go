package server_test

import (
	"testing"
	"time"
)

// TestDeleteAPIKey: DELETE /api/api-key/{id} removes a key, which is
// refused on its next request, with an audit entry; an unknown id is 404
// and nothing is deleted; a key manager may delete itself (how a leaked key
// is killed with nothing but the key), and is refused from then on.
func TestDeleteAPIKey(t *testing.T) {
	s := newStack(t)
	const doomed = "doomed-api-key-0123456789abcdef0123456789abcdef"
	created := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": doomed, "keyManager": true}})
	id := created["apiKey"].(map[string]any)["id"].(string)
	if res := s.api("GET", "/api/api-key", nil, "Authorization", doomed); res.status != 200 {
		t.Fatalf("the new key before its deletion: %d", res.status)
	}
	if res := s.api("DELETE", "/api/api-key/0f1a2b3c-0000-4000-8000-0000000000ff", nil); res.status != 404 {
		t.Fatalf("an unknown key: %d %s", res.status, res.body)
	}
	if res := s.api("DELETE", "/api/api-key/"+id, nil, "Authorization", doomed); res.status != 200 {
		t.Fatalf("a key manager deleting itself: %d %s", res.status, res.body)
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

// TestUpdateAPIKey: PUT /api/api-key/{id} replaces a key's permissions,
// description, expiry and (when one is given) value; the new permissions
// and value apply on the next request, the old value is refused, and the
// answer never shows a value. An expiry that passes makes the key refused.
func TestUpdateAPIKey(t *testing.T) {
	s := newStack(t)
	const value, rotated = "update-me-key-0123456789abcdef0123456789abcdef", "rotated-key-0123456789abcdef0123456789abcdef"
	created := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": value,
		"metaData": map[string]any{"attributes": map[string]any{"description": "ci"}}}})
	id := created["apiKey"].(map[string]any)["id"].(string)
	if res := s.api("POST", "/api/group", map[string]any{"group": map[string]any{"name": "Before"}}, "Authorization", value); res.status != 200 {
		t.Fatalf("a super key before its update: %d %s", res.status, res.body)
	}

	expires := s.Clock.Now().Add(time.Hour).UnixMilli()
	got := s.apiOK("PUT", "/api/api-key/"+id, map[string]any{"apiKey": map[string]any{
		"permissions":       map[string]any{"endpoints": map[string]any{"/api/group": []string{"GET"}}},
		"metaData":          map[string]any{"attributes": map[string]any{"description": "read groups"}},
		"expirationInstant": expires}})["apiKey"].(map[string]any)
	if _, shown := got["key"]; shown || got["metaData"].(map[string]any)["attributes"].(map[string]any)["description"] != "read groups" ||
		got["expirationInstant"].(float64) != float64(expires) {
		t.Fatalf("update answer: %v", got)
	}
	if res := s.api("POST", "/api/group", map[string]any{"group": map[string]any{"name": "After"}}, "Authorization", value); res.status != 401 {
		t.Fatalf("a write the updated key no longer holds: %d %s", res.status, res.body)
	}
	if res := s.api("GET", "/api/group", nil, "Authorization", value); res.status != 200 {
		t.Fatalf("a read the updated key holds: %d", res.status)
	}

	s.apiOK("PUT", "/api/api-key/"+id, map[string]any{"apiKey": map[string]any{"key": rotated,
		"permissions": map[string]any{"endpoints": map[string]any{"/api/group": []string{"GET"}}}, "expirationInstant": expires}})
	if res := s.api("GET", "/api/group", nil, "Authorization", value); res.status != 401 {
		t.Fatalf("the replaced value still works: %d", res.status)
	}
	if res := s.api("GET", "/api/group", nil, "Authorization", rotated); res.status != 200 {
		t.Fatalf("the new value: %d", res.status)
	}
	s.Clock.Advance(time.Hour)
	if res := s.api("GET", "/api/group", nil, "Authorization", rotated); res.status != 401 {
		t.Fatalf("an expired key: %d", res.status)
	}

	for _, c := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"unknown key", nil, 404},
		{"short value", map[string]any{"key": "short"}, 400},
		{"unknown method", map[string]any{"permissions": map[string]any{"endpoints": map[string]any{"/api/user": []string{"FETCH"}}}}, 400},
		{"expiry in the past", map[string]any{"expirationInstant": s.Clock.Now().Add(-time.Minute).UnixMilli()}, 400},
		{"another key's value", map[string]any{"key": apiKey}, 400},
	} {
		path := "/api/api-key/" + id
		if c.body == nil {
			path, c.body = "/api/api-key/0f1a2b3c-0000-4000-8000-0000000000fe", map[string]any{}
		}
		if res := s.api("PUT", path, map[string]any{"apiKey": c.body}); res.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, res.status, res.body, c.want)
		}
	}
	if k := s.apiOK("GET", "/api/api-key/"+id, nil)["apiKey"].(map[string]any); k["metaData"].(map[string]any)["attributes"].(map[string]any)["description"] != nil ||
		k["expirationInstant"].(float64) != float64(expires) {
		t.Fatalf("refused updates changed the key: %v", k)
	}
}

// TestAPIKeyManagersNeedEqualPermissions: a key manager restricted to some
// endpoints may not retrieve, update or delete a key holding more (a super
// key, another key manager); refused, the key is unchanged and works.
func TestAPIKeyManagersNeedEqualPermissions(t *testing.T) {
	s := newStack(t)
	const limited = "limited-manager-0123456789abcdef0123456789abcdef"
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": limited, "keyManager": true,
		"permissions": map[string]any{"endpoints": map[string]any{"/api/api-key": []string{"GET", "PUT", "DELETE"}, "/api/user": []string{"GET"}}}}})
	super := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "super-key-0123456789abcdef0123456789abcdef"}})
	superID := super["apiKey"].(map[string]any)["id"].(string)
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PUT", map[string]any{"apiKey": map[string]any{}}}, {"DELETE", nil}} {
		if res := s.api(c.method, "/api/api-key/"+superID, c.body, "Authorization", limited); res.status != 401 {
			t.Errorf("%s of a super key by a limited manager: %d %s", c.method, res.status, res.body)
		}
	}
	if res := s.api("GET", "/api/application", nil, "Authorization", "super-key-0123456789abcdef0123456789abcdef"); res.status != 200 {
		t.Fatalf("the super key after refused changes: %d", res.status)
	}
	reader := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{
		"permissions": map[string]any{"endpoints": map[string]any{"/api/user": []string{"GET"}}}}})
	readerID := reader["apiKey"].(map[string]any)["id"].(string)
	if res := s.api("DELETE", "/api/api-key/"+readerID, nil, "Authorization", limited); res.status != 200 {
		t.Fatalf("a limited manager deleting a key within its permissions: %d %s", res.status, res.body)
	}
}
