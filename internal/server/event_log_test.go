package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// withEventLogs stores three entries, one millisecond apart, and returns
// their ids.
func (s *stack) withEventLogs() []int64 {
	s.t.Helper()
	at := s.Clock.Now().UnixMilli()
	var ids []int64
	for i, e := range []storage.EventLog{
		{Type: storage.EventLogError, Message: "Failed to send the email to ada@example.test: 550 mailbox unavailable"},
		{Type: storage.EventLogInformation, Message: "Lambda [Claims] console.info: hello"},
		{Type: storage.EventLogError, Message: "Failed to deliver the event [user.create] to the webhook: HTTP 500"},
	} {
		e.InsertInstant = at + int64(i)
		got, err := s.Store.CreateEventLog(context.Background(), e)
		must(s.t, err)
		ids = append(ids, got.ID)
	}
	return ids
}

// TestEventLogSearchAndRetrieve pins the Event Log API (event-logs.mdx):
// GET /api/system/event-log/{id} answers {"eventLog"} and 404 for an
// unknown id; the search (POST body or GET query) filters by message (any
// case), type and an inclusive instant range, newest first unless orderBy
// says otherwise, and pages with a total; an unknown type or orderBy is a
// 400 naming the field.
func TestEventLogSearchAndRetrieve(t *testing.T) {
	s := newStack(t)
	ids := s.withEventLogs()
	at := s.Clock.Now().UnixMilli()

	res := s.api("GET", "/api/system/event-log/"+strconv.FormatInt(ids[1], 10), nil)
	if res.status != 200 {
		t.Fatalf("retrieve: %d %s", res.status, res.body)
	}
	e := res.json(t)["eventLog"].(map[string]any)
	if e["id"] != float64(ids[1]) || e["insertInstant"] != float64(at+1) || e["type"] != "Information" || e["message"] != "Lambda [Claims] console.info: hello" {
		t.Fatalf("retrieve: %v", e)
	}
	if res := s.api("GET", "/api/system/event-log/"+strconv.FormatInt(ids[2]+100, 10), nil); res.status != 404 {
		t.Fatalf("unknown id: %d %s", res.status, res.body)
	}

	search := func(q map[string]any) map[string]any {
		t.Helper()
		return s.apiOK("POST", "/api/system/event-log/search", map[string]any{"search": q})
	}
	all := search(map[string]any{})
	// A NUL in the message pattern is dropped: no entry holds one, and
	// PostgreSQL would refuse it in a query (an error, not an empty page).
	if got := search(map[string]any{"message": "Lambda [Cl\x00aims]"}); got["total"] != 1.0 {
		t.Fatalf("a NUL in the pattern: %v", got)
	}
	if got := members(t, all["eventLogs"], "message"); all["total"] != 3.0 || len(got) != 3 || !strings.HasPrefix(got[0], "Failed to deliver") {
		t.Fatalf("all, newest first: %v %v", all["total"], got)
	}
	res = s.api("POST", "/api/system/event-log/search", map[string]any{"search": map[string]any{"message": "FAILED", "numberOfResults": 1}})
	managementGolden(t, "event-log-search", res.status, res.body)
	for _, c := range []struct {
		q     map[string]any
		want  []string
		total float64
	}{
		{map[string]any{"message": "MAILBOX"}, []string{"Failed to send the email to ada@example.test: 550 mailbox unavailable"}, 1},
		{map[string]any{"type": "Information"}, []string{"Lambda [Claims] console.info: hello"}, 1},
		{map[string]any{"type": "Error", "orderBy": "insertInstant ASC"}, []string{
			"Failed to send the email to ada@example.test: 550 mailbox unavailable",
			"Failed to deliver the event [user.create] to the webhook: HTTP 500"}, 2},
		{map[string]any{"start": at + 1, "end": at + 1}, []string{"Lambda [Claims] console.info: hello"}, 1},
		{map[string]any{"message": "failed", "startRow": 1, "numberOfResults": 1}, []string{
			"Failed to send the email to ada@example.test: 550 mailbox unavailable"}, 2},
		{map[string]any{"orderBy": "message"}, []string{"Lambda [Claims] console.info: hello",
			"Failed to send the email to ada@example.test: 550 mailbox unavailable",
			"Failed to deliver the event [user.create] to the webhook: HTTP 500"}, 3},
	} {
		m := search(c.q)
		if got := members(t, m["eventLogs"], "message"); m["total"] != c.total || !equal(got, c.want) {
			t.Errorf("search %v: %v %q, want %v %q", c.q, m["total"], got, c.total, c.want)
		}
	}
	get := s.apiOK("GET", "/api/system/event-log/search?type=Information&message=hello", nil)
	if got := members(t, get["eventLogs"], "message"); get["total"] != 1.0 || len(got) != 1 {
		t.Fatalf("GET search: %v", get)
	}
	for _, c := range []struct{ body, field string }{
		{`{"search":{"type":"Warning"}}`, "[invalid]search.type"},
		{`{"search":{"orderBy":"password"}}`, "[invalid]search.orderBy"},
		{`{"search":{"orderBy":"message sideways"}}`, "[invalid]search.orderBy"},
	} {
		if res := s.api("POST", "/api/system/event-log/search", c.body); res.status != 400 || !strings.Contains(string(res.body), c.field) {
			t.Errorf("%s: %d %s, want 400 %s", c.body, res.status, res.body, c.field)
		}
	}
}

// TestEventLogNeedsItsPermission: without a key, with a key holding other
// endpoints, or with one holding only the retrieve (or only the search)
// permission, the other event log endpoint is 401 and answers no entry; a
// tenant-scoped key is refused with 403 [TenantScopedKey] even when it
// holds both permissions (the event log has no tenant).
func TestEventLogNeedsItsPermission(t *testing.T) {
	s := newStack(t)
	ids := s.withEventLogs()
	ctx := context.Background()
	const (
		userOnly   = "user-only-key-0123456789abcdef0123456789abcdef"
		getOnly    = "event-log-get-key-0123456789abcdef0123456789abcdef"
		searchOnly = "event-log-search-key-0123456789abcdef0123456789abcdef"
		scopedBoth = "event-log-scoped-key-0123456789abcdef0123456789abcdef"
	)
	both := map[string][]string{"/api/system/event-log": {"GET"}, "/api/system/event-log/search": {"GET", "POST"}}
	for key, k := range map[string]storage.APIKey{
		userOnly:   {Endpoints: map[string][]string{"/api/user": {"GET", "POST"}, "/api/system/audit-log/search": {"GET", "POST"}}},
		getOnly:    {Endpoints: map[string][]string{"/api/system/event-log": {"GET"}}},
		searchOnly: {Endpoints: map[string][]string{"/api/system/event-log/search": {"POST"}}},
		scopedBoth: {TenantID: tenantID, Endpoints: both},
	} {
		k.ID, k.KeyHash, k.InsertInstant = uuid.NewString(), manage.HashAPIKey(key), s.Clock.Now().UnixMilli()
		must(t, s.Store.CreateAPIKey(ctx, k))
	}
	one := "/api/system/event-log/" + strconv.FormatInt(ids[0], 10)
	search := map[string]any{"search": map[string]any{"message": "failed"}}
	for _, c := range []struct {
		key, method, path string
		body              any
		status            int
	}{
		{"", "GET", one, nil, 401},
		{"", "POST", "/api/system/event-log/search", search, 401},
		{userOnly, "GET", one, nil, 401},
		{userOnly, "POST", "/api/system/event-log/search", search, 401},
		{userOnly, "GET", "/api/system/event-log/search?message=failed", nil, 401},
		{getOnly, "POST", "/api/system/event-log/search", search, 401},
		{searchOnly, "GET", one, nil, 401},
		{searchOnly, "GET", "/api/system/event-log/search?message=failed", nil, 401},
		{scopedBoth, "GET", one, nil, 403},
		{scopedBoth, "POST", "/api/system/event-log/search", search, 403},
		{getOnly, "GET", one, nil, 200},
		{searchOnly, "POST", "/api/system/event-log/search", search, 200},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status {
			t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, c.key, res.status, res.body, c.status)
			continue
		}
		switch body := string(res.body); c.status {
		case 403:
			if !strings.Contains(body, "[TenantScopedKey]") {
				t.Errorf("%s %s with the scoped key: %s, want [TenantScopedKey]", c.method, c.path, body)
			}
		case 401:
			if strings.Contains(body, "Failed") {
				t.Errorf("%s %s refused with key %q but answered an entry: %s", c.method, c.path, c.key, body)
			}
		}
	}
}

// TestConsoleEventLogPage: the console's event log page lists the entries
// newest first, read-only, with a message's markup escaped as text.
func TestConsoleEventLogPage(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	s.withEventLogs()
	_, err := s.Store.CreateEventLog(context.Background(), storage.EventLog{InsertInstant: s.Clock.Now().UnixMilli() + 10,
		Type: storage.EventLogError, Message: `Lambda [<script>alert(1)</script>] failed`})
	must(t, err)
	res := c.get("/admin/event-log")
	wantConsoleStatus(t, "event log page", res, 200)
	body := string(res.body)
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "Lambda [&lt;script&gt;alert(1)&lt;/script&gt;] failed") {
		t.Fatalf("the message's markup is not escaped:\n%s", body)
	}
	first, last := strings.Index(body, "&lt;script&gt;"), strings.Index(body, "Failed to send the email to ada@example.test")
	if first < 0 || last < 0 || first > last || !strings.Contains(body, "4 entries") {
		t.Fatalf("want 4 entries, newest first:\n%s", body)
	}
}
