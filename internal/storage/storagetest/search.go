package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// directoryTests are the conformance cases of the directory (issue 12):
// user search, groups, roles, user actions, login records and the audit log
// (registered in suite.go).
var directoryTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"UserSearchSemantics", testUserSearchSemantics},
	{"UserSearchSortAndPage", testUserSearchSortAndPage},
	{"UserSearchFollowsWrites", testUserSearchFollowsWrites},
	{"UserSearchTenantScope", testUserSearchTenantScope},
	{"GetUsersAndRegistrations", testGetUsersAndRegistrations},
	{"Groups", testGroups},
	{"GroupMembers", testGroupMembers},
	{"GroupCascades", testGroupCascades},
	{"ApplicationRoleChange", testApplicationRoleChange},
	{"UserActions", testUserActions},
	{"TakeUserAction", testTakeUserAction},
	{"UserActionEnds", testUserActionEnds},
	{"LoginGate", testLoginGate},
	{"LoginGateRace", testLoginGateRace},
	{"LoginRecords", testLoginRecords},
	{"LoginRecordsUndoAndPurge", testLoginRecordsUndoAndPurge},
	{"PurgeLoginRecordsInBatches", testPurgeLoginRecordsInBatches},
	{"AuditLog", testAuditLog},
	{"AuditWithEveryWrite", testAuditWithEveryWrite},
	{"AuditCursor", testAuditCursor},
	{"LoginRecordCursor", testLoginRecordCursor},
	{"APIKeyListing", testAPIKeyListing},
	{"APIKeyDelete", testAPIKeyDelete},
	{"APIKeyUpdate", testAPIKeyUpdate},
}

// searchPeople stores the search fixtures in tenantID.
func searchPeople(t *testing.T, s storage.Storage) {
	t.Helper()
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	people := []storage.User{
		{ID: "u-richard", Email: "richard@piedpiper.com", Username: "richard", FirstName: "Richard", LastName: "Hendricks", FullName: "Richard Hendricks"},
		{ID: "u-erich", Email: "erich@aviato.com", FirstName: "Erlich", LastName: "Bachman"},
		{ID: "u-emile", Email: "emile@example.fr", FirstName: "Émile", LastName: "Zola"},
		{ID: "u-under", Username: "a_b", Email: "under@example.com"},
		{ID: "u-plain", Username: "axb", Email: "plain@example.com"},
		{ID: "u-pct", Username: "100%sure", Email: "pct@example.com"},
		{ID: "u-split", Email: "ab@x.io", Username: "cd"},
		{ID: "u-quote", Username: `o"neil`, Email: "quote@example.com"},
	}
	for i, p := range people {
		p.TenantID, p.Active, p.InsertInstant = tenantID, true, base.UnixMilli()+int64(i)
		must(t, s.CreateUser(ctx, p))
	}
}

func searchIDs(t *testing.T, s storage.Storage, q storage.UserSearch) ([]string, int) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	users, total, err := s.SearchUsers(context.Background(), q)
	must(t, err)
	ids := []string{}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	return ids, total
}

// testUserSearchSemantics: FusionAuth's database search, case-insensitive
// (Unicode too), substring without '*', whole-field patterns with '*', and
// every character of the query a literal: LIKE's and FTS5's syntax, quotes
// and SQL reach no parser.
func testUserSearchSemantics(t *testing.T, s storage.Storage) {
	searchPeople(t, s)
	all := []string{"u-split", "u-erich", "u-emile", "u-pct", "u-plain", "u-quote", "u-richard", "u-under"}
	tests := []struct {
		query string
		want  []string
	}{
		{"", all},
		{"*", all},
		{"**", all},
		{"piper", []string{"u-richard"}},             // contains, in the email
		{"PIEDPIPER.COM", []string{"u-richard"}},     // case-insensitive
		{"hendricks", []string{"u-richard"}},         // last name, full name
		{"rich", []string{"u-erich", "u-richard"}},   // contains anywhere
		{"rich*", []string{"u-richard"}},             // '*' anchors the rest: a field starting with rich
		{"*rich*", []string{"u-erich", "u-richard"}}, // both ends open
		{"r*@pied*", []string{"u-richard"}},          // a pattern with a middle
		{"ÉMILE", []string{"u-emile"}},               // Unicode case folding
		{"ém", []string{"u-emile"}},                  // shorter than a trigram
		{"a_b", []string{"u-under"}},                 // '_' is a literal, not LIKE's any-character
		{"100%", []string{"u-pct"}},                  // '%' too
		{"%", []string{"u-pct"}},                     // '%' alone is not "everything"
		{"ab*cd", []string{}},                        // a pattern never spans two fields
		{`o"neil`, []string{"u-quote"}},              // FTS5's quote
		{`"`, []string{"u-quote"}},                   //
		{`x" OR "a`, []string{}},                     // FTS5 syntax is text
		{"' OR 1=1 --", []string{}},                  // SQL is text
		{"NEAR(rich piper)", []string{}},             //
		{"nobody-here", []string{}},                  //
		{"ab@x.io\ncd", []string{}},                  // a control character is not a field separator
		{"  piper  ", []string{"u-richard"}},         // surrounding spaces ignored
		{"*@example.com", []string{"u-pct", "u-plain", "u-quote", "u-under"}}, // suffix pattern
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, total := searchIDs(t, s, storage.UserSearch{QueryString: tc.query, Sort: []storage.SortField{{Name: "login"}}})
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) || total != len(want) {
				t.Fatalf("search %q = %v (total %d), want %v", tc.query, got, total, want)
			}
		})
	}
}

// testUserSearchSortAndPage: every sort field works both ways, ties break
// by id, pages do not overlap and total counts every match.
func testUserSearchSortAndPage(t *testing.T, s storage.Storage) {
	searchPeople(t, s)
	for _, name := range storage.UserSortNames {
		for _, desc := range []bool{false, true} {
			if _, total := searchIDs(t, s, storage.UserSearch{Sort: []storage.SortField{{Name: name, Desc: desc}}}); total != 8 {
				t.Fatalf("sort by %s (desc %v): total %d, want 8", name, desc, total)
			}
		}
	}
	got, _ := searchIDs(t, s, storage.UserSearch{Sort: []storage.SortField{{Name: "email"}}})
	want := []string{"u-split", "u-emile", "u-erich", "u-pct", "u-plain", "u-quote", "u-richard", "u-under"}
	wantEqual(t, "by email", got, want)
	got, _ = searchIDs(t, s, storage.UserSearch{Sort: []storage.SortField{{Name: "insertInstant", Desc: true}}})
	wantEqual(t, "by insertInstant desc", got[:2], []string{"u-quote", "u-split"})
	var paged []string
	for off := 0; off < 8; off += 3 {
		page, total := searchIDs(t, s, storage.UserSearch{Sort: []storage.SortField{{Name: "email"}}, Offset: off, Limit: 3})
		if total != 8 {
			t.Fatalf("page at %d: total %d, want 8", off, total)
		}
		paged = append(paged, page...)
	}
	wantEqual(t, "pages", paged, want)
	if page, total := searchIDs(t, s, storage.UserSearch{Limit: 2, CountLimit: 3}); total != 3 || len(page) != 2 {
		t.Fatalf("a count stopped at 3 gave %d (page %d)", total, len(page))
	}
	if _, _, err := s.SearchUsers(context.Background(), storage.UserSearch{Limit: 10, Sort: []storage.SortField{{Name: "doc; DROP TABLE users"}}}); err == nil {
		t.Fatal("an unknown sort field was accepted")
	}
}

// testUserSearchFollowsWrites: the index changes with every user write, in
// the write's transaction: an update is found by its new values only, a
// refused write changes nothing, a deleted user is gone.
func testUserSearchFollowsWrites(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	searchPeople(t, s)
	u, err := s.GetUser(ctx, "u-richard")
	must(t, err)
	u.Email, u.FullName = "richard@hooli.xyz", "Richard H"
	must(t, s.UpdateUser(ctx, u))
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "piedpiper"}); len(got) != 0 {
		t.Fatalf("the old email is still found: %v", got)
	}
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "hooli"}); !slices.Equal(got, []string{"u-richard"}) {
		t.Fatalf("the new email is not found: %v", got)
	}
	// A refused create (duplicate email) and a refused update (unknown id)
	// leave the index as it was.
	dup := storage.User{ID: "u-dup", TenantID: tenantID, Email: "erich@aviato.com", FirstName: "Zebulon", Active: true}
	wantErr(t, s.CreateUser(ctx, dup), storage.ErrConflict)
	ghost := storage.User{ID: "u-ghost", TenantID: tenantID, Email: "ghost@example.com", FirstName: "Zebulon"}
	wantErr(t, s.UpdateUser(ctx, ghost), storage.ErrNotFound)
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "zebulon"}); len(got) != 0 {
		t.Fatalf("a refused write reached the index: %v", got)
	}
	// The account flows' writes keep it too: a created account is found,
	// a replaced email is found by its new value only.
	must(t, s.CreateAccount(ctx, storage.NewAccount{User: storage.User{ID: "u-acct", TenantID: tenantID, Email: "signup@newco.example", Active: true}}))
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "newco"}); !slices.Equal(got, []string{"u-acct"}) {
		t.Fatalf("a created account is not found: %v", got)
	}
	acct, err := s.GetUser(ctx, "u-acct")
	must(t, err)
	acct.Email = "moved@otherco.example"
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: acct.ID, Now: base, Replace: &acct}))
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "newco"}); len(got) != 0 {
		t.Fatalf("a replaced email is still found: %v", got)
	}
	if got, _ := searchIDs(t, s, storage.UserSearch{QueryString: "otherco"}); !slices.Equal(got, []string{"u-acct"}) {
		t.Fatalf("the new email is not found: %v", got)
	}
	must(t, s.DeleteUserAt(ctx, "u-erich", base))
	if got, total := searchIDs(t, s, storage.UserSearch{QueryString: "aviato"}); len(got) != 0 || total != 0 {
		t.Fatalf("a deleted user is still found: %v (%d)", got, total)
	}
}

// testUserSearchTenantScope: a search scoped to a tenant never returns, or
// counts, another tenant's users.
func testUserSearchTenantScope(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	searchPeople(t, s)
	const other = "22222222-2222-2222-2222-222222222222"
	must(t, s.CreateTenant(ctx, newTenant(other)))
	must(t, s.CreateUser(ctx, storage.User{ID: "u-other", TenantID: other, Email: "richard@other.com", Active: true}))
	got, total := searchIDs(t, s, storage.UserSearch{TenantID: tenantID, QueryString: "richard"})
	if !slices.Equal(got, []string{"u-richard"}) || total != 1 {
		t.Fatalf("scoped search = %v (%d), want only this tenant's user", got, total)
	}
	got, _ = searchIDs(t, s, storage.UserSearch{TenantID: other})
	wantEqual(t, "the other tenant, everyone", got, []string{"u-other"})
	if _, total := searchIDs(t, s, storage.UserSearch{QueryString: "richard"}); total != 2 {
		t.Fatalf("unscoped search total %d, want 2", total)
	}
}

// testGetUsersAndRegistrations: bulk reads keep the order asked for, skip
// unknown ids and list duplicates once.
func testGetUsersAndRegistrations(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateUser(ctx, newUser("u2", "two@example.com", "")))
	users, err := s.GetUsers(ctx, []string{"u2", "missing", u.ID, "u2"})
	must(t, err)
	if len(users) != 2 || users[0].ID != "u2" || users[1].ID != u.ID {
		t.Fatalf("GetUsers = %+v", users)
	}
	wantEqual(t, "user with its password hash", unrevised(users[1]), unrevised(u))
	regs, err := s.ListRegistrationsOf(ctx, []string{u.ID, "u2"})
	must(t, err)
	if len(regs[u.ID]) != 1 || regs[u.ID][0].ApplicationID != app.ID || len(regs["u2"]) != 0 {
		t.Fatalf("ListRegistrationsOf = %+v", regs)
	}
}
