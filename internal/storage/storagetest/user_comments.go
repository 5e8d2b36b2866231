package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testUserComments: comments round-trip with the user's tenant, list by
// insertInstant (ties by id) either way, filter by user, commenter, tenant
// and a case-insensitive comment pattern, page with a total; a comment on
// an unknown user is ErrNotFound with nothing (not even its audit entry)
// stored, a duplicate id ErrConflict.
func testUserComments(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	admin := newUser("u2", "admin@example.com", "admin")
	must(t, s.CreateUser(ctx, admin))
	at := base.UnixMilli()
	for _, c := range []storage.UserComment{
		{ID: "c2", UserID: u.ID, CommenterID: admin.ID, Comment: "Second, same instant", InsertInstant: at},
		{ID: "c1", UserID: u.ID, CommenterID: admin.ID, Comment: "First: 100% sure", InsertInstant: at},
		{ID: "c3", UserID: u.ID, CommenterID: u.ID, Comment: "third", InsertInstant: at + 1},
		{ID: "c4", UserID: admin.ID, CommenterID: u.ID, Comment: "about the admin", InsertInstant: at - 1},
	} {
		must(t, s.CreateUserComment(ctx, c))
	}
	ids := func(f storage.UserCommentFilter, wantTotal int) []string {
		t.Helper()
		cs, total, err := s.ListUserComments(ctx, f)
		must(t, err)
		if total != wantTotal {
			t.Fatalf("%+v: total %d, want %d", f, total, wantTotal)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, c := range []struct {
		f     storage.UserCommentFilter
		want  []string
		total int
	}{
		{storage.UserCommentFilter{UserID: u.ID}, []string{"c1", "c2", "c3"}, 3},
		{storage.UserCommentFilter{UserID: u.ID, Desc: true}, []string{"c3", "c2", "c1"}, 3},
		{storage.UserCommentFilter{}, []string{"c4", "c1", "c2", "c3"}, 4},
		{storage.UserCommentFilter{CommenterID: u.ID}, []string{"c4", "c3"}, 2},
		{storage.UserCommentFilter{TenantID: tenantID, Comment: "SAME"}, []string{"c2"}, 1},
		{storage.UserCommentFilter{Comment: "100%"}, []string{"c1"}, 1},
		{storage.UserCommentFilter{Comment: "*d"}, []string{"c3"}, 1},
		{storage.UserCommentFilter{TenantID: "another-tenant"}, []string{}, 0},
		{storage.UserCommentFilter{UserID: u.ID, Offset: 1, Limit: 1}, []string{"c2"}, 3},
		{storage.UserCommentFilter{UserID: u.ID, Offset: 2}, []string{"c3"}, 3},
	} {
		if got := ids(c.f, c.total); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
	cs, _, err := s.ListUserComments(ctx, storage.UserCommentFilter{UserID: admin.ID})
	must(t, err)
	want := storage.UserComment{ID: "c4", UserID: admin.ID, TenantID: tenantID, CommenterID: u.ID, Comment: "about the admin", InsertInstant: at - 1}
	if len(cs) != 1 || cs[0] != want {
		t.Fatalf("round trip: %+v, want %+v", cs, want)
	}

	entry := storage.AuditEntry{InsertInstant: at, InsertUser: "test", Message: "comment on a ghost", TenantID: tenantID}
	err = s.CreateUserComment(ctx, storage.UserComment{ID: "c5", UserID: "ghost", CommenterID: admin.ID, Comment: "x", InsertInstant: at}, entry)
	wantErr(t, err, storage.ErrNotFound)
	err = s.CreateUserComment(ctx, storage.UserComment{ID: "c1", UserID: u.ID, CommenterID: admin.ID, Comment: "again", InsertInstant: at})
	wantErr(t, err, storage.ErrConflict)
	if got := ids(storage.UserCommentFilter{}, 4); !slices.Equal(got, []string{"c4", "c1", "c2", "c3"}) {
		t.Fatalf("after the refused writes: %v", got)
	}
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "ghost", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("the refused comment's audit entry: %d %v", n, err)
	}
}

// testDeleteUserDeletesComments: a hard delete of a user deletes the
// comments about them; the comments they wrote about others stay.
func testDeleteUserDeletesComments(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	other := newUser("u2", "grace@example.com", "grace")
	must(t, s.CreateUser(ctx, other))
	at := base.UnixMilli()
	must(t, s.CreateUserComment(ctx, storage.UserComment{ID: "about", UserID: u.ID, CommenterID: other.ID, Comment: "a", InsertInstant: at}))
	must(t, s.CreateUserComment(ctx, storage.UserComment{ID: "by", UserID: other.ID, CommenterID: u.ID, Comment: "b", InsertInstant: at}))
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	cs, n, err := s.ListUserComments(ctx, storage.UserCommentFilter{})
	must(t, err)
	if n != 1 || len(cs) != 1 || cs[0].ID != "by" || cs[0].CommenterID != u.ID {
		t.Fatalf("after deleting the user: %d %+v, want only the comment they wrote", n, cs)
	}
}
