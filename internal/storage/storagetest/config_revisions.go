package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func init() {
	directoryTests = append(directoryTests, []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"StaleIdentityProviderWrite", func(t *testing.T, s storage.Storage) {
			testStaleWrite(t, s, revisedRecord[storage.IdentityProvider]{
				create: func(ctx context.Context, id string) error {
					return s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: id, Type: "OpenIDConnect", Name: "Upstream " + id})
				},
				get:    s.GetIdentityProvider,
				delete: func(ctx context.Context, id string) error { return s.DeleteIdentityProvider(ctx, id) },
				update: func(ctx context.Context, p storage.IdentityProvider, a ...storage.AuditEntry) error {
					return s.UpdateIdentityProvider(ctx, p, a...)
				},
				rev: func(p *storage.IdentityProvider) *int64 { return &p.Revision }, mark: func(p *storage.IdentityProvider) *string { return &p.ButtonText },
			})
		}},
		{"StaleGroupWrite", func(t *testing.T, s storage.Storage) {
			app, _ := seed(t, s)
			testStaleWrite(t, s, revisedRecord[storage.Group]{
				create: func(ctx context.Context, id string) error {
					return s.CreateGroup(ctx, newGroup(id, "Staff "+id, storage.GroupRole{ApplicationID: app.ID, RoleID: "r-admin"}))
				},
				get:    s.GetGroup,
				delete: func(ctx context.Context, id string) error { return s.DeleteGroup(ctx, id) },
				update: func(ctx context.Context, g storage.Group, a ...storage.AuditEntry) error {
					// Each write also replaces the roles: a stale one must not.
					g.Roles = []storage.GroupRole{{ApplicationID: app.ID, RoleID: "r-" + g.Name}}
					return s.UpdateGroup(ctx, g, a...)
				},
				rev: func(g *storage.Group) *int64 { return &g.Revision }, mark: func(g *storage.Group) *string { return &g.Name },
			})
		}},
		{"StaleUserActionWrite", func(t *testing.T, s storage.Storage) {
			testStaleWrite(t, s, revisedRecord[storage.UserAction]{
				create: func(ctx context.Context, id string) error {
					return s.CreateUserAction(ctx, newUserAction(id, "Warn "+id, false))
				},
				get:    s.GetUserAction,
				delete: func(ctx context.Context, id string) error { return s.DeleteUserAction(ctx, id) },
				update: func(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error {
					return s.UpdateUserAction(ctx, a, audit...)
				},
				rev: func(a *storage.UserAction) *int64 { return &a.Revision }, mark: func(a *storage.UserAction) *string { return &a.Name },
			})
		}},
		{"StaleWebhookWrite", func(t *testing.T, s storage.Storage) {
			testStaleWrite(t, s, revisedRecord[storage.Webhook]{
				create: func(ctx context.Context, id string) error {
					return s.CreateWebhook(ctx, newWebhook(id, "https://hooks.example.com/"+id))
				},
				get:    s.GetWebhook,
				delete: s.DeleteWebhook,
				update: func(ctx context.Context, w storage.Webhook, _ ...storage.AuditEntry) error {
					return s.UpdateWebhook(ctx, w)
				},
				rev: func(w *storage.Webhook) *int64 { return &w.Revision }, mark: func(w *storage.Webhook) *string { return &w.Description },
			})
		}},
		{"StaleLambdaWrite", func(t *testing.T, s storage.Storage) {
			testStaleWrite(t, s, revisedRecord[storage.Lambda]{
				create: func(ctx context.Context, id string) error { return s.CreateLambda(ctx, newLambda(id, "Lambda "+id)) },
				get:    s.GetLambda,
				delete: s.DeleteLambda,
				update: func(ctx context.Context, l storage.Lambda, _ ...storage.AuditEntry) error {
					return s.UpdateLambda(ctx, l)
				},
				rev: func(l *storage.Lambda) *int64 { return &l.Revision }, mark: func(l *storage.Lambda) *string { return &l.Body },
			})
		}},
		{"StaleEmailTemplateWrite", func(t *testing.T, s storage.Storage) {
			testStaleWrite(t, s, revisedRecord[storage.EmailTemplate]{
				create: func(ctx context.Context, id string) error {
					return s.CreateEmailTemplate(ctx, newEmailTemplate(id, "Template "+id))
				},
				get:    s.GetEmailTemplate,
				delete: s.DeleteEmailTemplate,
				update: func(ctx context.Context, et storage.EmailTemplate, _ ...storage.AuditEntry) error {
					return s.UpdateEmailTemplate(ctx, et)
				},
				rev: func(et *storage.EmailTemplate) *int64 { return &et.Revision }, mark: func(et *storage.EmailTemplate) *string { return &et.DefaultSubject },
			})
		}},
	}...)
}

// revisedRecord is how testStaleWrite creates, reads and writes one kind
// of record whose whole document a PUT or PATCH rewrites; rev points at
// its Revision, mark at a string field the writes change. update passes
// the audit entries on where the store's write takes them.
type revisedRecord[T any] struct {
	create func(ctx context.Context, id string) error
	get    func(ctx context.Context, id string) (T, error)
	update func(ctx context.Context, v T, audit ...storage.AuditEntry) error
	delete func(ctx context.Context, id string) error
	rev    func(*T) *int64
	mark   func(*T) *string
}

// testStaleWrite: a new record has revision 1 and a write naming the
// revision read adds 1; a write computed from the same earlier read (a
// concurrent PATCH that lost) is ErrStale and changes nothing: not the
// record, not its other parts (a group's roles), and no audit entry is
// written for it; revision 0 writes without condition; a write of a
// record deleted since it was read is ErrNotFound whatever the revision.
func testStaleWrite[T any](t *testing.T, s storage.Storage, r revisedRecord[T]) {
	t.Helper()
	ctx := context.Background()
	must(t, r.create(ctx, "rec1"))
	read, err := r.get(ctx, "rec1")
	must(t, err)
	if rev := *r.rev(&read); rev != 1 {
		t.Fatalf("a new record's revision is %d, want 1", rev)
	}

	first, stale := read, read
	*r.mark(&first), *r.mark(&stale) = "first", "stale"
	must(t, r.update(ctx, first))
	won, err := r.get(ctx, "rec1")
	must(t, err)
	if *r.rev(&won) != 2 || *r.mark(&won) != "first" {
		t.Fatalf("after the first write: revision %d, %q; want 2, first", *r.rev(&won), *r.mark(&won))
	}

	wantErr(t, r.update(ctx, stale, storage.AuditEntry{InsertInstant: base.UnixMilli(), InsertUser: "admin", Message: "[stale write]"}), storage.ErrStale)
	got, err := r.get(ctx, "rec1")
	must(t, err)
	wantEqual(t, "after the stale write", got, won)
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "[stale write]", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("the stale write left %d audit entries (%v)", n, err)
	}

	blind := won
	*r.rev(&blind), *r.mark(&blind) = 0, "blind"
	must(t, r.update(ctx, blind))
	got, err = r.get(ctx, "rec1")
	must(t, err)
	if *r.rev(&got) != 3 || *r.mark(&got) != "blind" {
		t.Fatalf("after the unconditional write: revision %d, %q; want 3, blind", *r.rev(&got), *r.mark(&got))
	}

	must(t, r.create(ctx, "rec2"))
	gone, err := r.get(ctx, "rec2")
	must(t, err)
	must(t, r.delete(ctx, "rec2"))
	wantErr(t, r.update(ctx, gone), storage.ErrNotFound)
	*r.rev(&gone) = 0
	wantErr(t, r.update(ctx, gone), storage.ErrNotFound)
}
