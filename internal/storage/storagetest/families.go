package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func member(family, user, role string, owner bool, at int64) storage.FamilyMember {
	return storage.FamilyMember{FamilyID: family, UserID: user, Role: role, Owner: owner, InsertInstant: at, LastUpdateInstant: at}
}

// familyMembers lists a family's members as "user:role:owner".
func familyMembers(f storage.Family) []string {
	out := []string{}
	for _, m := range f.Members {
		out = append(out, fmt.Sprintf("%s:%s:%v", m.UserID, m.Role, m.Owner))
	}
	return out
}

// testFamilies: a family is created with its owner in the user's tenant,
// members are added and updated (insertInstant kept), listed per user and
// removed, the family going with its last member; every refusal
// (unknown user or family, taken id, a creator or adult already in a
// family, a user of another tenant) stores nothing, not even its audit
// entry.
func testFamilies(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	for _, id := range []string{"u2", "u3"} {
		must(t, s.CreateUser(ctx, newUser(id, id+"@example.com", id)))
	}
	must(t, s.CreateTenant(ctx, newTenant("t2")))
	stranger := newUser("u4", "u4@example.com", "u4")
	stranger.TenantID = "t2"
	must(t, s.CreateUser(ctx, stranger))
	at := base.UnixMilli()

	must(t, s.CreateFamily(ctx, storage.FamilyMember{FamilyID: "f1", UserID: u.ID, Role: storage.FamilyAdult, Owner: true,
		Data: map[string]any{"nick": "mum"}, InsertInstant: at, LastUpdateInstant: at}))
	f, err := s.GetFamily(ctx, "f1")
	must(t, err)
	want := storage.Family{ID: "f1", TenantID: tenantID, InsertInstant: at, LastUpdateInstant: at, Members: []storage.FamilyMember{
		{FamilyID: "f1", UserID: u.ID, TenantID: tenantID, Role: storage.FamilyAdult, Owner: true, Data: map[string]any{"nick": "mum"}, InsertInstant: at, LastUpdateInstant: at}}}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Fatalf("round trip: %+v, want %+v", f, want)
	}

	entry := storage.AuditEntry{InsertInstant: at, InsertUser: "test", Message: "refused family write", TenantID: tenantID}
	wantErr(t, s.CreateFamily(ctx, member("f2", "ghost", storage.FamilyAdult, true, at), entry), storage.ErrNotFound)
	wantErr(t, s.CreateFamily(ctx, member("f1", "u2", storage.FamilyAdult, true, at), entry), storage.ErrConflict)
	wantErr(t, s.CreateFamily(ctx, member("f2", u.ID, storage.FamilyAdult, true, at), entry), storage.ErrInFamily)

	child, err := s.PutFamilyMember(ctx, member("f1", "u2", storage.FamilyChild, false, at+1))
	must(t, err)
	if got := familyMembers(child); !slices.Equal(got, []string{"u1:Adult:true", "u2:Child:false"}) || child.LastUpdateInstant != at+1 {
		t.Fatalf("after adding a child: %v, last update %d", got, child.LastUpdateInstant)
	}
	upd := member("f1", "u2", storage.FamilyTeen, false, at+5)
	upd.Data = map[string]any{"school": "x"}
	f, err = s.PutFamilyMember(ctx, upd)
	must(t, err)
	if m := f.Members[1]; m.Role != storage.FamilyTeen || m.InsertInstant != at+1 || m.LastUpdateInstant != at+5 || m.Data["school"] != "x" {
		t.Fatalf("updated member: %+v", m)
	}
	// An adult (u1, f1's owner) cannot join another family; a teen can.
	must(t, s.CreateFamily(ctx, member("f2", "u3", storage.FamilyAdult, true, at+2)))
	_, err = s.PutFamilyMember(ctx, member("f2", u.ID, storage.FamilyAdult, false, at+3), entry)
	wantErr(t, err, storage.ErrInFamily)
	_, err = s.PutFamilyMember(ctx, member("f2", "u2", storage.FamilyTeen, false, at+3))
	must(t, err)
	_, err = s.PutFamilyMember(ctx, member("nope", "u2", storage.FamilyTeen, false, at+3), entry)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.PutFamilyMember(ctx, member("f1", stranger.ID, storage.FamilyChild, false, at+3), entry)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.PutFamilyMember(ctx, member("f1", "ghost", storage.FamilyChild, false, at+3), entry)
	wantErr(t, err, storage.ErrNotFound)
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "refused", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("the refused writes' audit entries: %d %v", n, err)
	}

	fs, err := s.ListUserFamilies(ctx, "u2")
	must(t, err)
	if len(fs) != 2 || fs[0].ID != "f1" || fs[1].ID != "f2" || len(fs[0].Members) != 2 || len(fs[1].Members) != 2 {
		t.Fatalf("u2's families: %+v", fs)
	}
	if fs, err := s.ListUserFamilies(ctx, "ghost"); err != nil || len(fs) != 0 {
		t.Fatalf("a ghost's families: %+v %v", fs, err)
	}

	wantErr(t, s.RemoveFamilyMember(ctx, "f1", "u3"), storage.ErrNotFound)
	must(t, s.RemoveFamilyMember(ctx, "f2", "u3"))
	must(t, s.RemoveFamilyMember(ctx, "f2", "u2"))
	if _, err := s.GetFamily(ctx, "f2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a family without members: %v, want ErrNotFound", err)
	}
	f, err = s.GetFamily(ctx, "f1")
	must(t, err)
	if got := familyMembers(f); !slices.Equal(got, []string{"u1:Adult:true", "u2:Teen:false"}) {
		t.Fatalf("f1 after f2 went: %v", got)
	}
	// The id of a family that went is free again.
	must(t, s.CreateFamily(ctx, member("f2", "u3", storage.FamilyAdult, true, at+9)))
}

// testDeleteUserDeletesFamilies: deleting a user removes their
// memberships, and the families they were the last member of.
func testDeleteUserDeletesFamilies(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	for _, id := range []string{"u2", "u3"} {
		must(t, s.CreateUser(ctx, newUser(id, id+"@example.com", id)))
	}
	at := base.UnixMilli()
	must(t, s.CreateFamily(ctx, member("fa", u.ID, storage.FamilyAdult, true, at)))
	_, err := s.PutFamilyMember(ctx, member("fa", "u2", storage.FamilyChild, false, at))
	must(t, err)
	must(t, s.CreateFamily(ctx, member("fb", "u3", storage.FamilyAdult, true, at)))

	must(t, s.DeleteUserAt(ctx, "u3", base))
	if _, err := s.GetFamily(ctx, "fb"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the family of a deleted only member: %v", err)
	}
	// Gone, not only memberless: its id is free again.
	must(t, s.CreateUser(ctx, newUser("u4", "u4@example.com", "u4")))
	must(t, s.CreateFamily(ctx, member("fb", "u4", storage.FamilyAdult, true, at)))
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	f, err := s.GetFamily(ctx, "fa")
	must(t, err)
	if got := familyMembers(f); !slices.Equal(got, []string{"u2:Child:false"}) {
		t.Fatalf("fa after its owner was deleted: %v", got)
	}
	must(t, s.DeleteUserAt(ctx, "u2", base))
	if _, err := s.GetFamily(ctx, "fa"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("fa after its last member was deleted: %v", err)
	}
}

// testPendingChildren: users of the tenant whose parentEmail matches
// (case-insensitively) and who are in no family with an adult owner.
func testPendingChildren(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, parent := seed(t, s)
	must(t, s.CreateTenant(ctx, newTenant("t2")))
	at := base.UnixMilli()
	for _, c := range []struct{ id, tenant, parentEmail string }{
		{"c1", tenantID, "Mum@Example.com"}, {"c2", tenantID, "mum@example.com"}, {"c3", tenantID, "mum@example.com"},
		{"c4", tenantID, "dad@example.com"}, {"c5", "t2", "mum@example.com"}, {"c6", tenantID, ""},
	} {
		u := newUser(c.id, c.id+"@example.com", c.id)
		u.TenantID, u.ParentEmail = c.tenant, c.parentEmail
		must(t, s.CreateUser(ctx, u))
	}
	// c2 is in the parent's family; c3 in one whose adult is not the owner.
	must(t, s.CreateFamily(ctx, member("fp", parent.ID, storage.FamilyAdult, true, at)))
	_, err := s.PutFamilyMember(ctx, member("fp", "c2", storage.FamilyChild, false, at))
	must(t, err)
	must(t, s.CreateFamily(ctx, member("fq", "c6", storage.FamilyAdult, false, at)))
	_, err = s.PutFamilyMember(ctx, member("fq", "c3", storage.FamilyChild, false, at))
	must(t, err)

	ids, err := s.ListPendingChildren(ctx, tenantID, "MUM@example.com", 10)
	must(t, err)
	if !slices.Equal(ids, []string{"c1", "c3"}) {
		t.Fatalf("pending children: %v, want [c1 c3]", ids)
	}
	if ids, err := s.ListPendingChildren(ctx, tenantID, "mum@example.com", 1); err != nil || !slices.Equal(ids, []string{"c1"}) {
		t.Fatalf("limited: %v %v", ids, err)
	}
	if ids, err := s.ListPendingChildren(ctx, "t2", "mum@example.com", 10); err != nil || !slices.Equal(ids, []string{"c5"}) {
		t.Fatalf("other tenant: %v %v", ids, err)
	}
}

// testFamilyAdultRace: one adult added to several families at once joins
// exactly one of them.
func testFamilyAdultRace(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	const n = 16
	at := base.UnixMilli()
	for i := range n {
		id := fmt.Sprintf("o%d", i)
		must(t, s.CreateUser(ctx, newUser(id, id+"@example.com", id)))
		must(t, s.CreateFamily(ctx, member("f"+id, id, storage.FamilyAdult, true, at)))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.PutFamilyMember(ctx, member(fmt.Sprintf("fo%d", i), u.ID, storage.FamilyAdult, false, at))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrInFamily):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	fs, err := s.ListUserFamilies(ctx, u.ID)
	must(t, err)
	if won != 1 || len(fs) != 1 {
		t.Fatalf("%d joins succeeded, the adult is in %d families; want 1 and 1", won, len(fs))
	}
}
