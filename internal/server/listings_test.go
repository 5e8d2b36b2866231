package server_test

import (
	"strings"
	"testing"
)

// TestAPIKeyListing pins GET /api/api-key/{id} (apikeys.mdx) and the
// listing latchkey adds for the console: key managers only, a scoped
// manager sees its tenant's keys, and no key value is ever shown (latchkey
// keeps only hashes: retrievable is false).
func TestAPIKeyListing(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	// The reader is created at the scoped key's instant (the stack's clock
	// stands still), so its id decides the listing's order: fixed, after
	// scopedKeyID.
	created := s.apiOK("POST", "/api/api-key/0f1a2b3c-0000-4000-8000-0000000000f4", map[string]any{"apiKey": map[string]any{"key": "reader-key-0123456789abcdef0123",
		"metaData":    map[string]any{"attributes": map[string]any{"description": "reader"}},
		"permissions": map[string]any{"endpoints": map[string]any{"/api/user": []string{"GET"}}}}})
	readerID := created["apiKey"].(map[string]any)["id"].(string)
	steps := []struct {
		name, path string
		hdr        []string
		status     int
	}{
		{"apikey-get", "/api/api-key/" + readerID, nil, 200},
		{"apikey-list", "/api/api-key", nil, 200},
		{"apikey-list-scoped", "/api/api-key", []string{"Authorization", scopedKey}, 200},
		{"apikey-get-scoped-global", "/api/api-key/" + readerID, []string{"Authorization", scopedKey}, 404},
		{"apikey-list-not-manager", "/api/api-key", []string{"Authorization", "reader-key-0123456789abcdef0123"}, 401},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := s.api("GET", st.path, nil, st.hdr...)
			if res.status != st.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, st.status)
			}
			directoryGolden(t, st.name, res)
			for _, v := range []string{apiKey, scopedKey, "reader-key-0123456789abcdef0123"} {
				if strings.Contains(string(res.body), v) {
					t.Fatalf("a key value is in the answer: %s", res.body)
				}
			}
		})
	}
}

// TestSigningKeyListing pins GET /api/key and /api/key/{id} (keys.mdx
// shapes): public parts only, never a private key; a rotation is listed at
// once and its predecessor stays, retiring. A tenant-scoped key may list
// but not rotate (keys sign for every tenant).
func TestSigningKeyListing(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	res := s.api("GET", "/api/key", nil)
	directoryGolden(t, "keys-list", res)
	if strings.Contains(string(res.body), "PRIVATE") {
		t.Fatalf("a private key is listed: %s", res.body)
	}
	keys := res.json(t)["keys"].([]any)
	first := keys[0].(map[string]any)["id"].(string)
	directoryGolden(t, "keys-get", s.api("GET", "/api/key/"+first, nil))
	if res := s.api("GET", "/api/key/"+missing, nil); res.status != 404 {
		t.Fatalf("unknown key: %d", res.status)
	}
	if res := s.api("POST", "/api/key/rotate", `{"algorithm":"ES256"}`, "Authorization", scopedKey); res.status != 403 {
		t.Fatalf("a tenant-scoped key rotated the signing key: %d %s", res.status, res.body)
	}
	s.apiOK("POST", "/api/key/rotate", `{"algorithm":"ES256"}`)
	after := s.apiOK("GET", "/api/key", nil)["keys"].([]any)
	states := map[string]int{}
	for _, k := range after {
		states[k.(map[string]any)["algorithm"].(string)+" "+k.(map[string]any)["state"].(string)]++
	}
	if len(after) != len(keys)+1 || states["ES256 retiring"] != 1 || states["ES256 active"] != 1 {
		t.Fatalf("after the rotation: %v", states)
	}
	audit := s.apiOK("GET", "/api/system/audit-log/search?message=*signing+key*", nil)
	if audit["total"].(float64) != 1 {
		t.Fatalf("the rotation left %v audit entries, want 1", audit["total"])
	}
	raw := s.api("GET", "/api/system/audit-log/search?message=*signing+key*", nil)
	if strings.Contains(string(raw.body), "PRIVATE") {
		t.Fatal("the rotation's audit entry holds a private key")
	}
}
