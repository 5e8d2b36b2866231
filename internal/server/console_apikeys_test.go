package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConsoleAPIKeyTenantAndExpiry: a key made in the console locked to
// the default tenant reads its users but not another tenant's; one with an
// expiry date works until that day and is refused after it. A date in the
// past or not a date is shown next to its field; a cross-site or
// non-admin form creates nothing.
func TestConsoleAPIKeyTenantAndExpiry(t *testing.T) {
	s, c := newConsole(t)
	s.withOtherTenant()
	ctx := context.Background()
	c.signInAdmin(t)
	token := csrf(t, c.get("/admin/api-keys"))
	countKeys := func() int {
		keys, err := s.Store.ListAPIKeys(ctx)
		must(t, err)
		return len(keys)
	}
	start := countKeys()
	tomorrow := s.Clock.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	form := url.Values{"csrf": {token}, "description": {"tenant reader"}, "perm": {"/api/user GET"}, "tenant": {tenantID},
		"expires": {tomorrow}}

	// The form the admin's create below succeeds with.
	newRefusals(t, s, c).refused(t, "/admin/api-keys", form, func() {
		if n := countKeys(); n != start {
			t.Fatalf("a refused form created keys: %d, want %d", n, start)
		}
	})

	for _, bad := range []string{"2001-01-01", "next week"} {
		c.refuseField(t, "/admin/api-keys", form, "expires", bad)
	}
	if n := countKeys(); n != start {
		t.Fatalf("refused expiries created keys: %d, want %d", n, start)
	}

	created := c.post("/admin/api-keys", form)
	wantConsoleStatus(t, "create", created, 200)
	m := createdKey.FindSubmatch(created.body)
	if m == nil {
		t.Fatalf("the new key's value is not shown:\n%s", created.body)
	}
	key := string(m[1])
	wantConsoleStatus(t, "the key reads its tenant's user", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 200)
	if got := s.api("GET", "/api/user/"+otherUserID, nil, "Authorization", key).status; got == 200 {
		t.Fatal("a key locked to the default tenant read another tenant's user")
	}
	page := string(c.get("/admin/api-keys").body)
	if !strings.Contains(page, "/api/user (GET)") {
		t.Fatalf("the keys page does not show the key's one method:\n%s", page)
	}
	s.Clock.Advance(48 * time.Hour)
	wantConsoleStatus(t, "the key after its expiry", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 401)
}
