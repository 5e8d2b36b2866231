package storagetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	revisionTests = append(revisionTests, []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"StaleApplicationWrite", testStaleApplicationWrite},
		{"StaleRoleChange", testStaleRoleChange},
		{"ConcurrentApplicationWritesOfOneRevision", testConcurrentApplicationWritesOfOneRevision},
		{"StaleTenantWrite", testStaleTenantWrite},
		{"StaleSystemConfigurationWrite", testStaleSystemConfigurationWrite},
	}...)
}

// staleEntry is the audit entry of a write that must be refused;
// noStaleEntry fails if it was stored.
func staleEntry() storage.AuditEntry {
	return newEntry("[stale write]", "apiKey:k1", base.UnixMilli())
}

func noStaleEntry(t *testing.T, s storage.Storage) {
	t.Helper()
	_, n, err := s.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "[stale write]", Limit: 10})
	must(t, err)
	if n != 0 {
		t.Fatalf("a refused write stored %d audit entries", n)
	}
}

// testStaleApplicationWrite: an application starts at revision 1 and every
// write adds 1; a write naming a revision that is no longer the row's (a
// PATCH computed before another committed) is ErrStale and changes
// nothing, neither the row nor the audit log; revision 0 writes without
// condition; a gone application is ErrNotFound whatever the revision.
func testStaleApplicationWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, _ := seed(t, s)
	read, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	if read.Revision != 1 {
		t.Fatalf("a new application's revision is %d, want 1", read.Revision)
	}
	first, second := read, read
	first.Data = map[string]any{"first": "kept"}
	second.Data = map[string]any{"second": "lost"}
	must(t, s.UpdateApplication(ctx, first))
	wantErr(t, s.UpdateApplication(ctx, second, staleEntry()), storage.ErrStale)
	got, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	first.Revision = 2
	wantEqual(t, "after the stale write", got, first)
	noStaleEntry(t, s)

	blind := got
	blind.Revision, blind.Name = 0, "No condition"
	must(t, s.UpdateApplication(ctx, blind))
	if got, _ := s.GetApplication(ctx, app.ID); got.Revision != 3 || got.Name != "No condition" {
		t.Fatalf("the unconditional write: revision %d, name %q", got.Revision, got.Name)
	}
	gone := newApp("missing", true)
	gone.Revision = 1
	wantErr(t, s.UpdateApplication(ctx, gone), storage.ErrNotFound)
}

// testStaleRoleChange: a role change computed from an application read
// before another write of it is ErrStale, and nothing of it happens: the
// application keeps the other write, and the registrations keep the role
// name the stale change would have renamed or dropped.
func testStaleRoleChange(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s) // u registered to app with roles [admin]
	read, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	added := read
	added.Roles = append(append([]storage.ApplicationRole{}, read.Roles...), storage.ApplicationRole{ID: "r-user", Name: "user"})
	must(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: added, RoleID: "r-user"}))

	renamed := read // computed before the role was added
	renamed.Roles = []storage.ApplicationRole{{ID: read.Roles[0].ID, Name: "administrator"}}
	wantErr(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: renamed, RoleID: read.Roles[0].ID, OldName: "admin"}), storage.ErrStale)
	deleted := read
	deleted.Roles = []storage.ApplicationRole{}
	wantErr(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: deleted, RoleID: read.Roles[0].ID, OldName: "admin", Deleted: true}, staleEntry()), storage.ErrStale)
	noStaleEntry(t, s)

	got, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	added.Revision = 2
	wantEqual(t, "after the stale role changes", got, added)
	reg, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	wantEqual(t, "the registration's roles", reg.Roles, []string{"admin"})

	renamed = got
	renamed.Roles = []storage.ApplicationRole{{ID: got.Roles[0].ID, Name: "administrator"}, got.Roles[1]}
	must(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: renamed, RoleID: got.Roles[0].ID, OldName: "admin"}))
	if reg, _ := s.GetRegistration(ctx, u.ID, app.ID); len(reg.Roles) != 1 || reg.Roles[0] != "administrator" {
		t.Fatalf("after the current rename the registration's roles are %v", reg.Roles)
	}
	gone := newApp("missing", true)
	gone.Revision = 1
	wantErr(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: gone, RoleID: "r"}), storage.ErrNotFound)
}

// testConcurrentApplicationWritesOfOneRevision: n writes of one
// application, all computed from the same read and released together:
// exactly one is written, every other is ErrStale, and the row holds the
// winner's document at revision 2.
func testConcurrentApplicationWritesOfOneRevision(t *testing.T, s storage.Storage) {
	const n = 12
	ctx := context.Background()
	app, _ := seed(t, s)
	read, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	errs := parallel(n, func(i int) error {
		a := read
		a.Data = map[string]any{"writer": fmt.Sprint(i)}
		return s.UpdateApplication(ctx, a)
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("writes %d and %d of revision 1 both succeeded", winner, i)
		default:
			wantErr(t, err, storage.ErrStale)
		}
	}
	if winner < 0 {
		t.Fatalf("no write succeeded: %v", errs)
	}
	got, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	if got.Revision != 2 || got.Data["writer"] != fmt.Sprint(winner) {
		t.Fatalf("revision %d, data %v; want 2 and write %d's", got.Revision, got.Data, winner)
	}
}

// testStaleTenantWrite: testStaleApplicationWrite for a tenant.
func testStaleTenantWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	read, err := s.GetTenant(ctx, tenantID)
	must(t, err)
	if read.Revision != 1 {
		t.Fatalf("a new tenant's revision is %d, want 1", read.Revision)
	}
	first, second := read, read
	first.Data = map[string]any{"first": "kept"}
	second.Data = map[string]any{"second": "lost"}
	must(t, s.UpdateTenant(ctx, first))
	wantErr(t, s.UpdateTenant(ctx, second, staleEntry()), storage.ErrStale)
	got, err := s.GetTenant(ctx, tenantID)
	must(t, err)
	first.Revision = 2
	wantEqual(t, "after the stale write", got, first)
	noStaleEntry(t, s)
	blind := got
	blind.Revision, blind.Name = 0, "No condition"
	must(t, s.UpdateTenant(ctx, blind))
	if got, _ := s.GetTenant(ctx, tenantID); got.Revision != 3 || got.Name != "No condition" {
		t.Fatalf("the unconditional write: revision %d, name %q", got.Revision, got.Name)
	}
	gone := newTenant("missing")
	gone.Revision = 1
	wantErr(t, s.UpdateTenant(ctx, gone), storage.ErrNotFound)
}

// testStaleSystemConfigurationWrite: the first Put conditional on
// storage.Unstored creates the row at revision 1, and a second one (it
// read "no configuration" before the first committed) is ErrStale; then
// a Put naming a revision that is no longer the row's is ErrStale and
// changes nothing; revision 0 writes without condition.
func testStaleSystemConfigurationWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	cors := func(origin string) storage.SystemConfiguration {
		return storage.SystemConfiguration{ReportTimezone: "UTC", Revision: storage.Unstored,
			CORSConfiguration: storage.CORSConfiguration{AllowedOrigins: []string{origin}, AllowedHeaders: []string{}, AllowedMethods: []string{}, ExposedHeaders: []string{}}}
	}
	first := cors("https://first.example")
	must(t, s.PutSystemConfiguration(ctx, first))
	wantErr(t, s.PutSystemConfiguration(ctx, cors("https://lost.example")), storage.ErrStale)
	read, err := s.GetSystemConfiguration(ctx)
	must(t, err)
	first.Revision = 1
	wantEqual(t, "after the second first Put", read, first)

	next, stale := read, read
	next.CORSConfiguration.AllowedOrigins = []string{"https://next.example"}
	stale.CORSConfiguration.AllowedOrigins = []string{"https://stale.example"}
	must(t, s.PutSystemConfiguration(ctx, next))
	wantErr(t, s.PutSystemConfiguration(ctx, stale, staleEntry()), storage.ErrStale)
	got, err := s.GetSystemConfiguration(ctx)
	must(t, err)
	next.Revision = 2
	wantEqual(t, "after the stale write", got, next)
	noStaleEntry(t, s)
	blind := got
	blind.Revision, blind.ReportTimezone = 0, "Europe/Paris"
	must(t, s.PutSystemConfiguration(ctx, blind))
	if got, _ := s.GetSystemConfiguration(ctx); got.Revision != 3 || got.ReportTimezone != "Europe/Paris" {
		t.Fatalf("the unconditional write: revision %d, timezone %q", got.Revision, got.ReportTimezone)
	}
}
