package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func loginRecord(id, userID, appID string, at int64) *storage.LoginRecord {
	return &storage.LoginRecord{ID: id, UserID: userID, TenantID: tenantID, ApplicationID: appID, Instant: at,
		IPAddress: "192.0.2.7", LoginID: "ada@example.com"}
}

// testLoginRecords: RecordLogin writes the record in its transaction (a
// refused login none), and the list filters, orders newest first, pages
// and counts.
func testLoginRecords(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	at := base.UnixMilli()
	for i := range 4 {
		appID := app.ID
		if i == 3 {
			appID = ""
		}
		must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: appID, At: at + int64(i),
			Record: loginRecord(fmt.Sprint("lr", i), u.ID, appID, at+int64(i))}))
	}
	// Refused (no such registration): neither the login nor its record.
	err := s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: "nope", At: at + 9, Record: loginRecord("lr9", u.ID, "nope", at+9)})
	wantErr(t, err, storage.ErrNotFound)

	recs, total, err := s.ListLoginRecords(ctx, storage.LoginRecordFilter{UserID: u.ID, Limit: 10, Count: true})
	must(t, err)
	if total != 4 || len(recs) != 4 || recs[0].ID != "lr3" || recs[3].ID != "lr0" {
		t.Fatalf("records = %+v (total %d), want lr3..lr0", recs, total)
	}
	wantEqual(t, "record", recs[3], *loginRecord("lr0", u.ID, app.ID, at))
	recs, _, _ = s.ListLoginRecords(ctx, storage.LoginRecordFilter{ApplicationID: app.ID, Start: at + 1, End: at + 2, Limit: 10})
	if len(recs) != 2 || recs[0].ID != "lr2" {
		t.Fatalf("by application and time = %+v", recs)
	}
	recs, total, _ = s.ListLoginRecords(ctx, storage.LoginRecordFilter{TenantID: tenantID, Offset: 1, Limit: 2})
	if len(recs) != 2 || recs[0].ID != "lr2" || total != 0 {
		t.Fatalf("page = %+v, total %d (not asked for)", recs, total)
	}
	if recs, _, _ := s.ListLoginRecords(ctx, storage.LoginRecordFilter{UserID: "someone-else", Limit: 10}); len(recs) != 0 {
		t.Fatalf("another user's filter found %+v", recs)
	}
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	if _, n, _ := s.ListLoginRecords(ctx, storage.LoginRecordFilter{Limit: 10, Count: true}); n != 0 {
		t.Fatalf("a deleted user's %d login records remain", n)
	}
}

// testLoginRecordsUndoAndPurge: UndoLogin takes back exactly the record of
// the login it undoes, and a purge removes only records older than its
// instant.
func testLoginRecordsUndoAndPurge(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	at := base.UnixMilli()
	kept := storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at, Record: loginRecord("kept", u.ID, app.ID, at)}
	must(t, s.RecordLogin(ctx, kept))
	spec := storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at, Record: loginRecord("spec", u.ID, app.ID, at)}
	must(t, s.RecordLogin(ctx, spec))
	_, err := s.UndoLogin(ctx, storage.LoginUndo{Login: spec, PrevUserLastLogin: at, PrevRegistrationLastLogin: at})
	must(t, err)
	recs, _, _ := s.ListLoginRecords(ctx, storage.LoginRecordFilter{Limit: 10})
	if len(recs) != 1 || recs[0].ID != "kept" {
		t.Fatalf("after undo: %+v, want only the kept login", recs)
	}
	day := 24 * time.Hour
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: at + day.Milliseconds(), Record: loginRecord("new", u.ID, "", at+day.Milliseconds())}))
	n, err := s.PurgeLoginRecords(ctx, base.Add(time.Hour), 10)
	must(t, err)
	recs, _, _ = s.ListLoginRecords(ctx, storage.LoginRecordFilter{Limit: 10})
	if n != 1 || len(recs) != 1 || recs[0].ID != "new" {
		t.Fatalf("purge removed %d, left %+v", n, recs)
	}
}

// testPurgeLoginRecordsInBatches: a purge deletes at most limit records,
// the oldest first, only those strictly older than its instant, and the
// next call goes on where it stopped (the janitor's batches).
func testPurgeLoginRecordsInBatches(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	hour := time.Hour.Milliseconds()
	at := base.UnixMilli()
	for i, id := range []string{"h-3", "h-2", "h-1", "h0", "h+1"} {
		when := at + int64(i-3)*hour
		must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: when, Record: loginRecord(id, u.ID, app.ID, when)}))
	}
	left := func() []string {
		recs, _, err := s.ListLoginRecords(ctx, storage.LoginRecordFilter{Limit: 10})
		must(t, err)
		ids := []string{}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for _, step := range []struct {
		n    int
		left string
	}{{2, "[h+1 h0 h-1]"}, {1, "[h+1 h0]"}, {0, "[h+1 h0]"}} {
		n, err := s.PurgeLoginRecords(ctx, base, 2)
		must(t, err)
		if got := fmt.Sprint(left()); n != step.n || got != step.left {
			t.Fatalf("purge with limit 2: removed %d, left %s; want %d, %s", n, got, step.n, step.left)
		}
	}
}

func newEntry(msg, user string, at int64) storage.AuditEntry {
	return storage.AuditEntry{InsertInstant: at, InsertUser: user, Message: msg, Reason: "because",
		TenantID: tenantID, Data: map[string]any{"actor": map[string]any{"apiKeyId": "k1"}},
		OldValue: map[string]any{"name": "old"}, NewValue: map[string]any{"name": "new 100%"}}
}

// testAuditLog: ids come from a sequence, entries round-trip, and search
// matches patterns case-insensitively with LIKE's own characters literal,
// bounds by time, orders, pages and scopes to a tenant.
func testAuditLog(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	at := base.UnixMilli()
	var ids []int64
	for i, msg := range []string{"Created the user with Id [1]", "Updated the user with Id [1]", "Deleted the application with Id [2]"} {
		e, err := s.CreateAuditEntry(ctx, newEntry(msg, "apiKey:k1", at+int64(i)))
		must(t, err)
		if len(ids) > 0 && e.ID <= ids[len(ids)-1] {
			t.Fatalf("ids not increasing: %v then %d", ids, e.ID)
		}
		ids = append(ids, e.ID)
	}
	other := newEntry("Updated the system configuration", "admin@example.com", at+3)
	other.TenantID = ""
	_, err := s.CreateAuditEntry(ctx, other)
	must(t, err)
	got, err := s.GetAuditEntry(ctx, ids[0])
	must(t, err)
	want := newEntry("Created the user with Id [1]", "apiKey:k1", at)
	want.ID = ids[0]
	wantEqual(t, "entry", got, want)
	_, err = s.GetAuditEntry(ctx, 999999)
	wantErr(t, err, storage.ErrNotFound)

	tests := []struct {
		name string
		q    storage.AuditSearch
		want int
	}{
		{"all", storage.AuditSearch{}, 4},
		{"message contains, any case", storage.AuditSearch{Message: "USER WITH"}, 2},
		{"message pattern", storage.AuditSearch{Message: "*application*"}, 1},
		{"anchored pattern", storage.AuditSearch{Message: "user*"}, 0},
		{"user", storage.AuditSearch{User: "admin@"}, 1},
		{"percent is literal", storage.AuditSearch{NewValue: "100%"}, 4},
		{"underscore is literal", storage.AuditSearch{Message: "the_user"}, 0},
		{"old value", storage.AuditSearch{OldValue: `"old"`}, 4},
		{"reason", storage.AuditSearch{Reason: "nope"}, 0},
		{"time window", storage.AuditSearch{Start: at + 1, End: at + 2}, 2},
		{"tenant scope", storage.AuditSearch{TenantID: tenantID}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 10
			list, total, err := s.SearchAuditEntries(ctx, tc.q)
			must(t, err)
			if total != tc.want || len(list) != tc.want {
				t.Fatalf("%d entries (total %d), want %d", len(list), total, tc.want)
			}
		})
	}
	page, total, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Offset: 1, Limit: 2})
	must(t, err)
	if total != 4 || len(page) != 2 || page[0].ID != ids[2] {
		t.Fatalf("newest-first page = %+v (total %d)", page, total)
	}
	page, _, _ = s.SearchAuditEntries(ctx, storage.AuditSearch{OrderBy: "id", Asc: true, Limit: 1})
	if len(page) != 1 || page[0].ID != ids[0] {
		t.Fatalf("oldest first = %+v", page)
	}
	if _, _, err := s.SearchAuditEntries(ctx, storage.AuditSearch{OrderBy: "id; DROP TABLE audit_log", Limit: 1}); err == nil {
		t.Fatal("an unknown order was accepted")
	}
}

// testAPIKeyListing: keys are read back by id (attributes included) and
// listed, oldest first.
func testAPIKeyListing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	k1 := storage.APIKey{ID: "k1", KeyHash: hash("one"), Description: "one", Attributes: map[string]string{"owner": "bob"}, Endpoints: map[string][]string{"/api/user": {"GET"}}, InsertInstant: 2}
	k2 := storage.APIKey{ID: "k2", TenantID: tenantID, KeyHash: hash("two"), KeyManager: true, InsertInstant: 1}
	must(t, s.CreateAPIKey(ctx, k1))
	must(t, s.CreateAPIKey(ctx, k2))
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, err)
	wantEqual(t, "key", got, k1)
	_, err = s.GetAPIKey(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)
	list, err := s.ListAPIKeys(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != "k2" || list[1].ID != "k1" {
		t.Fatalf("ListAPIKeys = %+v", list)
	}
}

// testAPIKeyDelete: a deleted key is gone by id and by hash, with its audit
// entry; deleting it again is ErrNotFound and writes no entry.
func testAPIKeyDelete(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateAPIKey(ctx, storage.APIKey{ID: "k1", KeyHash: hash("one"), InsertInstant: 1}))
	must(t, s.DeleteAPIKey(ctx, "k1", newEntry("Deleted the API key with Id [k1]", "admin@example.com", 5)))
	_, err := s.GetAPIKey(ctx, "k1")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetAPIKeyByHash(ctx, hash("one"))
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteAPIKey(ctx, "k1", newEntry("Deleted the API key with Id [k1]", "admin@example.com", 6)), storage.ErrNotFound)
	entries, total, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Deleted the API key", Limit: 10})
	must(t, err)
	if total != 1 || len(entries) != 1 || entries[0].InsertInstant != 5 {
		t.Fatalf("audit entries of the deletion: %d %+v, want the first one only", total, entries)
	}
}
