package storagetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testAuditCursor: reading the audit log in pages with After (the export's
// keyset paging) gives every match once, newest first, the order of one
// unpaged search, even when entries share an instant and a newer entry is
// written between two pages; SkipTotal leaves the count out; a cursor with
// any other order is refused.
func testAuditCursor(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	at := base.UnixMilli()
	for i := range 7 {
		_, err := s.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: at + int64(i/2), InsertUser: "ops", Message: fmt.Sprint("entry ", i)})
		must(t, err)
	}
	_, err := s.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: at, InsertUser: "ops", Message: "other"})
	must(t, err)
	all, _, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "entry", Limit: 100})
	must(t, err)
	var got []storage.AuditEntry
	q := storage.AuditSearch{Message: "entry", Limit: 2, SkipTotal: true}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the pages never end: the cursor did not advance")
		}
		page, total, err := s.SearchAuditEntries(ctx, q)
		must(t, err)
		if total != 0 {
			t.Fatalf("SkipTotal counted %d", total)
		}
		if len(got) == 2 { // a newer entry between two pages is not read
			_, err := s.CreateAuditEntry(ctx, storage.AuditEntry{InsertInstant: at + 100, InsertUser: "ops", Message: "entry late"})
			must(t, err)
		}
		got = append(got, page...)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &storage.AuditCursor{InsertInstant: last.InsertInstant, ID: last.ID}
	}
	wantEqual(t, "paged entries", auditIDs(got), auditIDs(all))
	if len(got) != 7 {
		t.Fatalf("%d entries, want 7", len(got))
	}
	_, _, err = s.SearchAuditEntries(ctx, storage.AuditSearch{Asc: true, Limit: 2, After: &storage.AuditCursor{InsertInstant: at, ID: 1}})
	if err == nil {
		t.Fatal("a cursor with the oldest-first order was accepted")
	}
}

func auditIDs(es []storage.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// testLoginRecordCursor: login records read in pages with After give every
// record the filter selects once, in the order of one unpaged listing,
// ties on the instant included.
func testLoginRecordCursor(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	at := base.UnixMilli()
	for i := range 7 {
		must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at + int64(i/3),
			Record: loginRecord(fmt.Sprint("lr", i), u.ID, app.ID, at+int64(i/3))}))
	}
	all, _, err := s.ListLoginRecords(ctx, storage.LoginRecordFilter{UserID: u.ID, Limit: 100})
	must(t, err)
	var got []string
	f := storage.LoginRecordFilter{UserID: u.ID, Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the pages never end: the cursor did not advance")
		}
		page, _, err := s.ListLoginRecords(ctx, f)
		must(t, err)
		for _, r := range page {
			got = append(got, r.ID)
		}
		if len(page) < f.Limit {
			break
		}
		last := page[len(page)-1]
		f.After = &storage.LoginRecordCursor{Instant: last.Instant, ID: last.ID}
	}
	var want []string
	for _, r := range all {
		want = append(want, r.ID)
	}
	wantEqual(t, "paged records", got, want)
	if len(got) != 7 {
		t.Fatalf("%d records, want 7", len(got))
	}
}
