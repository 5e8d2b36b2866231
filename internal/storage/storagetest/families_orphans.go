package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// purgeOrphans lists o's orphaned children and deletes each, with an
// outbox message and an audit entry named after it, as the janitor does.
func purgeOrphans(t *testing.T, s storage.Storage, o storage.OrphanedChildren) []string {
	t.Helper()
	ctx := context.Background()
	ids, err := s.ListOrphanedChildren(ctx, o)
	must(t, err)
	deleted := []string{}
	for _, id := range ids {
		ok, err := s.DeleteOrphanedChild(ctx, o, storage.OrphanDelete{UserID: id, Outbox: []storage.OutboxMessage{outboxMsg("m-"+id, base)},
			Audit: []storage.AuditEntry{{InsertInstant: base.UnixMilli(), InsertUser: "janitor", Message: "Deleted orphaned child [" + id + "]", TenantID: tenantID}}})
		must(t, err)
		if ok {
			deleted = append(deleted, id)
		}
	}
	return deleted
}

// testDeleteOrphanedChildren: ListOrphanedChildren lists the tenant's
// children by birthDate created before the cut who are in no family with
// an adult member, oldest first, at most the limit, and
// DeleteOrphanedChild deletes each with its outbox message and audit
// entry; it keeps a child in a family with an adult owner, a child in a
// family whose only adult is no owner, a child in a family of children
// only is deleted, and it keeps an adult, a user without a birthDate,
// one with a birthDate in the future, a child created after the cut and
// another tenant's child. DeleteOrphanedChild keeps a user it is given
// who is no orphan.
func testDeleteOrphanedChildren(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateTenant(ctx, newTenant("t2")))
	at := base.UnixMilli()
	user := func(id, birth string, inserted int64, tenant string) {
		u := newUser(id, id+"@example.com", id)
		u.BirthDate, u.InsertInstant, u.TenantID = birth, inserted, tenant
		must(t, s.CreateUser(ctx, u))
	}
	user("old-orphan", "2018-01-01", at-3000, tenantID)
	user("orphan", "2016-06-30", at-2000, tenantID)
	user("kids-only", "2017-01-01", at-1000, tenantID)
	user("adopted", "2016-01-01", at-4000, tenantID)    // the oldest: a batch counts only orphans
	user("with-adult", "2016-01-01", at-4500, tenantID) // in a family whose owner left, with an adult
	user("parent", "1980-01-01", at-5000, tenantID)
	user("adult", "2000-01-01", at-5000, tenantID)
	user("nobirth", "", at-5000, tenantID)
	user("future", "2030-01-01", at-5000, tenantID)
	user("new-child", "2018-01-01", at+1, tenantID)
	user("other-tenant", "2018-01-01", at-5000, "t2")
	must(t, s.CreateFamily(ctx, member("fam", "parent", storage.FamilyAdult, true, at)))
	if _, err := s.PutFamilyMember(ctx, member("fam", "adopted", storage.FamilyChild, false, at)); err != nil {
		t.Fatal(err)
	}
	must(t, s.CreateFamily(ctx, member("kids", "kids-only", storage.FamilyChild, false, at)))
	must(t, s.CreateFamily(ctx, member("adults", "adult", storage.FamilyAdult, false, at)))
	if _, err := s.PutFamilyMember(ctx, member("adults", "with-adult", storage.FamilyChild, false, at)); err != nil {
		t.Fatal(err)
	}

	o := storage.OrphanedChildren{TenantID: tenantID, BornAfter: "2013-12-06", BornBy: "2026-12-06", CreatedBefore: at, Limit: 2, At: base}
	for _, id := range []string{"adopted", "with-adult", "adult", "nobirth", "future", "new-child", "other-tenant", "unknown"} {
		if ok, err := s.DeleteOrphanedChild(ctx, o, storage.OrphanDelete{UserID: id, Outbox: []storage.OutboxMessage{outboxMsg("m-no-"+id, base)}}); ok || err != nil {
			t.Fatalf("DeleteOrphanedChild(%s) = %v %v, want kept", id, ok, err)
		}
	}
	if got := purgeOrphans(t, s, o); !slices.Equal(got, []string{"old-orphan", "orphan"}) {
		t.Fatalf("first batch %v, want the two oldest orphans", got)
	}
	if got := purgeOrphans(t, s, o); !slices.Equal(got, []string{"kids-only"}) {
		t.Fatalf("second batch %v, want the child in a family without an adult", got)
	}
	if got := purgeOrphans(t, s, o); len(got) != 0 {
		t.Fatalf("third batch %v, want none", got)
	}
	for _, id := range []string{"old-orphan", "orphan", "kids-only"} {
		if _, err := s.GetUser(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: %v, want deleted", id, err)
		}
	}
	if _, err := s.GetFamily(ctx, "kids"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the family of the deleted child alone: %v, want gone", err)
	}
	for _, id := range []string{"u1", "adopted", "with-adult", "parent", "adult", "nobirth", "future", "new-child", "other-tenant"} {
		if _, err := s.GetUser(ctx, id); err != nil {
			t.Fatalf("%s: %v, want kept", id, err)
		}
	}
	if f, err := s.GetFamily(ctx, "fam"); err != nil || len(f.Members) != 2 {
		t.Fatalf("the adopted child's family: %v %v", f, err)
	}
	entries, _, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Deleted orphaned child", Limit: 10})
	must(t, err)
	if len(entries) != 3 {
		t.Fatalf("%d audit entries, want one per deleted child", len(entries))
	}
	got := outboxIDs(claim(t, s, "A", base.Add(time.Hour), 10))
	slices.Sort(got)
	wantEqual(t, "the deletes' outbox messages, none for a user kept", got, []string{"m-kids-only", "m-old-orphan", "m-orphan"})
	o.Limit = 0
	if got, err := s.ListOrphanedChildren(ctx, o); err != nil || len(got) != 0 {
		t.Fatalf("limit 0: %v %v", got, err)
	}
}

// testOrphanAdoptionRace: children joining a family with an adult owner
// while DeleteOrphanedChild deletes the listed orphans are either deleted (their join is
// ErrNotFound) or kept in the family; never is a join answered as done
// for a child then deleted.
func testOrphanAdoptionRace(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	const n = 32
	at := base.UnixMilli()
	p := newUser("parent", "parent@example.com", "parent")
	p.BirthDate = "1980-01-01"
	must(t, s.CreateUser(ctx, p))
	must(t, s.CreateFamily(ctx, member("fam", "parent", storage.FamilyAdult, true, at)))
	for i := range n {
		id := fmt.Sprintf("c%02d", i)
		u := newUser(id, id+"@example.com", id)
		u.BirthDate, u.InsertInstant = "2018-01-01", at-1000
		must(t, s.CreateUser(ctx, u))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	var deleted []string
	var delErr error
	wg.Go(func() {
		o := storage.OrphanedChildren{TenantID: tenantID, BornAfter: "2013-12-06", BornBy: "2026-12-06", CreatedBefore: at, Limit: 100, At: base}
		var ids []string
		if ids, delErr = s.ListOrphanedChildren(ctx, o); delErr != nil {
			return
		}
		for _, id := range ids {
			ok, err := s.DeleteOrphanedChild(ctx, o, storage.OrphanDelete{UserID: id})
			if err != nil {
				delErr = err
				return
			}
			if ok {
				deleted = append(deleted, id)
			}
		}
	})
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.PutFamilyMember(ctx, member("fam", fmt.Sprintf("c%02d", i), storage.FamilyChild, false, at))
		})
	}
	wg.Wait()
	must(t, delErr)
	for i, err := range errs {
		id := fmt.Sprintf("c%02d", i)
		_, getErr := s.GetUser(ctx, id)
		switch {
		case err == nil && getErr != nil:
			t.Fatalf("%s joined the family and was deleted (%v); deleted %v", id, getErr, deleted)
		case errors.Is(err, storage.ErrNotFound) && !errors.Is(getErr, storage.ErrNotFound):
			t.Fatalf("%s: the join found no user, yet the user is there (%v)", id, getErr)
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			t.Fatalf("%s: unexpected error %v", id, err)
		}
	}
}
