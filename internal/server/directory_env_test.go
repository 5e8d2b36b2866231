package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The directory tests (issue 12) run on newStack's world, plus, where
// tenant scoping is tested, a second tenant with one user and an API key
// scoped to the default tenant.
const (
	otherTenant = "0f1a2b3c-0000-4000-8000-0000000000f1"
	otherUserID = "0f1a2b3c-0000-4000-8000-0000000000f2"
	scopedKey   = "scoped-api-key-0123456789abcdef0123456789abcdef"
	scopedKeyID = "0f1a2b3c-0000-4000-8000-0000000000f3"
)

// api calls the management API with the super key (or the header pairs
// given, e.g. "Authorization", scopedKey).
func (s *stack) api(method, path string, body any, hdr ...string) result {
	s.t.Helper()
	c := call{method: method, path: path, hdr: map[string]string{"Authorization": apiKey}}
	switch b := body.(type) {
	case nil:
	case string:
		c.body = b
	default:
		j, err := json.Marshal(b)
		must(s.t, err)
		c.body = string(j)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		c.hdr[hdr[i]] = hdr[i+1]
	}
	return s.do(c)
}

// apiOK is api that fails the test unless the answer is 200.
func (s *stack) apiOK(method, path string, body any, hdr ...string) map[string]any {
	s.t.Helper()
	res := s.api(method, path, body, hdr...)
	if res.status != 200 {
		s.t.Fatalf("%s %s = %d: %s", method, path, res.status, res.body)
	}
	if len(res.body) == 0 {
		return nil
	}
	return res.json(s.t)
}

// withOtherTenant stores a second tenant with one user (email
// other@example.test), and an API key scoped to the default tenant.
func (s *stack) withOtherTenant() {
	s.t.Helper()
	ctx := context.Background()
	tn := manage.NewDefaultTenant("https://other.example.test", s.Clock.Now())
	tn.ID, tn.Name = otherTenant, "Other"
	must(s.t, s.Store.CreateTenant(ctx, tn))
	must(s.t, s.Store.CreateUser(ctx, storage.User{ID: otherUserID, TenantID: otherTenant, Active: true,
		Email: "other@example.test", FirstName: "Alice", InsertInstant: s.Clock.Now().UnixMilli()}))
	must(s.t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: scopedKeyID, TenantID: tenantID,
		KeyHash: manage.HashAPIKey(scopedKey), KeyManager: true, InsertInstant: s.Clock.Now().UnixMilli()}))
}

// directoryGolden pins a management answer like managementGolden; audit
// log ids (a sequence, which PostgreSQL advances for rolled-back writes too)
// are replaced by <id>.
func directoryGolden(t *testing.T, name string, res result) {
	t.Helper()
	var v any
	if len(res.body) > 0 {
		must(t, json.Unmarshal(res.body, &v))
		v = normalizeAuditIDs(v)
	}
	b, err := json.Marshal(v)
	must(t, err)
	if v == nil {
		b = nil
	}
	managementGolden(t, name, res.status, b)
}

func normalizeAuditIDs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, isEntry := x["insertUser"]; isEntry {
			if _, ok := x["id"].(float64); ok {
				x["id"] = "<id>"
			}
		}
		for k, e := range x {
			x[k] = normalizeAuditIDs(e)
		}
	case []any:
		for i := range x {
			x[i] = normalizeAuditIDs(x[i])
		}
	}
	return v
}

// seedUsers stores n users of the default tenant named user000..user(n-1)
// @bulk.example.test directly (no hashing), for search and paging.
func (s *stack) seedUsers(n int) {
	s.t.Helper()
	for i := range n {
		must(s.t, s.Store.CreateUser(context.Background(), storage.User{ID: fmt.Sprintf("0f1a2b3c-0000-4000-9000-%012d", i),
			TenantID: tenantID, Active: true, Email: fmt.Sprintf("user%03d@bulk.example.test", i),
			InsertInstant: s.Clock.Now().UnixMilli() + int64(i)}))
	}
}
