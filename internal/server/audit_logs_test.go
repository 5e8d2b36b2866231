package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// superKeyID is the id of the stack's super key (apptest creates it).
func (s *stack) superKeyID(t *testing.T) string {
	t.Helper()
	k, err := s.Store.GetAPIKeyByHash(context.Background(), manage.HashAPIKey(apiKey))
	must(t, err)
	return k.ID
}

// TestAuditLogRecordsEveryChange: a management change writes one entry
// naming the API key that made it and what changed, with secrets redacted
// (the client secret, a new password's hash never appears, an API key's
// value never appears), in the change's transaction (storagetest
// AuditWithEveryWrite proves the transaction on both backends).
func TestAuditLogRecordsEveryChange(t *testing.T) {
	s := newStack(t)
	keyID := s.superKeyID(t)
	s.apiOK("POST", "/api/application/"+otherAppID, map[string]any{"application": map[string]any{"name": "Admin",
		"oauthConfiguration": map[string]any{"clientSecret": "very-secret-client-secret"}}})
	s.apiOK("PATCH", "/api/user/"+aliceID, map[string]any{"user": map[string]any{"firstName": "Alicia", "password": "a brand new password"}})
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": "a-new-key-value-0123456789abcdef"}})
	res := s.api("POST", "/api/system/audit-log/search", map[string]any{"search": map[string]any{"orderBy": "insertInstant ASC"}})
	directoryGolden(t, "audit-search-changes", res)
	body := string(res.body)
	for _, secretValue := range []string{"very-secret-client-secret", "a brand new password", "a-new-key-value-0123456789abcdef", testPBKDF2Prefix} {
		if strings.Contains(body, secretValue) {
			t.Fatalf("the audit log holds a secret (%q): %s", secretValue, body)
		}
	}
	entries := res.json(t)["auditLogs"].([]any)
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3", len(entries))
	}
	for _, e := range entries {
		e := e.(map[string]any)
		if e["insertUser"] != "apiKey:"+keyID || e["data"].(map[string]any)["actor"].(map[string]any)["apiKeyId"] != keyID {
			t.Fatalf("entry without the key as actor: %v", e)
		}
	}
	user := entries[1].(map[string]any)
	changed := user["data"].(map[string]any)["changedFields"].([]any)
	if !containsAll(changed, "firstName", "passwordLastUpdateInstant") {
		t.Fatalf("changedFields %v", changed)
	}
}

const (
	otherAppID = "0f1a2b3c-0000-4000-8000-0000000000a9"
	// testPBKDF2Prefix would start a stored hash's salt or value printed by
	// mistake; the audit log has no field that could hold one.
	testPBKDF2Prefix = "salted-pbkdf2"
)

func containsAll(list []any, want ...string) bool {
	for _, w := range want {
		found := false
		for _, v := range list {
			found = found || v == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestAuditLogAPI pins create, retrieve and search (audit-logs.mdx):
// a caller's entry keeps its insertUser but data.actor names the key that
// wrote it; ids are numbers; a tenant-scoped key sees its tenant's entries
// only.
func TestAuditLogAPI(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	res := s.api("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "ops@example.test",
		"message": "Rotated the database password", "reason": "Quarterly", "data": map[string]any{"ticket": "OPS-1", "password": "hunter2"},
		"newValue": map[string]any{"clientSecret": "x"}}})
	directoryGolden(t, "audit-create", res)
	id := res.json(t)["auditLog"].(map[string]any)["id"].(float64)
	got := s.api("GET", "/api/system/audit-log/"+strconv.Itoa(int(id)), nil)
	directoryGolden(t, "audit-get", got)
	for _, st := range []struct {
		name, path string
		status     int
	}{
		{"audit-get-not-a-number", "/api/system/audit-log/abc", 400},
		{"audit-get-missing", "/api/system/audit-log/999999", 404},
		{"audit-search-get", "/api/system/audit-log/search?message=*password&user=ops", 200},
		{"audit-search-bad-order", "/api/system/audit-log/search?orderBy=password", 400},
	} {
		t.Run(st.name, func(t *testing.T) {
			res := s.api("GET", st.path, nil)
			if res.status != st.status {
				t.Fatalf("%d %s", res.status, res.body)
			}
			directoryGolden(t, st.name, res)
		})
	}
	// The entry above is the global key's (no tenant): a scoped key does
	// not see it; its own are listed.
	if res := s.api("GET", "/api/system/audit-log/"+strconv.Itoa(int(id)), nil, "Authorization", scopedKey); res.status != 404 {
		t.Fatalf("a scoped key read a global entry: %d", res.status)
	}
	s.apiOK("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "t", "message": "scoped"}}, "Authorization", scopedKey)
	list := s.apiOK("GET", "/api/system/audit-log/search", nil, "Authorization", scopedKey)
	if list["total"].(float64) != 1 {
		t.Fatalf("the scoped key sees %v entries, want its own 1", list["total"])
	}
}

// TestAuditLogCreateWithNUL (adversarial): a NUL in an entry's texts or
// data is not a server error (PostgreSQL stores no NUL in text or JSON):
// the texts are stored without it, and the data as sent is refused or
// stored, never answered 500.
func TestAuditLogCreateWithNUL(t *testing.T) {
	s := newStack(t)
	res := s.api("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "ops\x00@example.test",
		"message": "Rotated\x00 the key", "reason": "Quar\x00terly"}})
	if res.status != 200 {
		t.Fatalf("NUL in the texts: %d %s", res.status, res.body)
	}
	e := res.json(t)["auditLog"].(map[string]any)
	if e["message"] != "Rotated the key" || e["reason"] != "Quarterly" || e["insertUser"] != "ops@example.test" {
		t.Fatalf("stored %v", e)
	}
	res = s.api("POST", "/api/system/audit-log", map[string]any{"auditLog": map[string]any{"insertUser": "ops@example.test",
		"message": "data", "data": map[string]any{"k": "v\x00"}, "newValue": map[string]any{"x\x00": 1}}})
	if res.status >= 500 {
		t.Fatalf("NUL in the data: %d %s", res.status, res.body)
	}
}
