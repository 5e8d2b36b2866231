package storagetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func newConsent(id, name string) storage.Consent {
	age := 13
	return storage.Consent{ID: id, Name: name, DefaultMinimumAgeForSelfConsent: &age, CountryMinimumAgeForSelfConsent: map[string]int{"de": 16},
		Values: []string{"Written", "Verbal"}, Data: map[string]any{"note": "x"}, EmailPlus: &storage.EmailPlus{Enabled: true, EmailTemplateID: "t1",
			MaximumTimeToSendEmailInHours: 48, MinimumTimeToSendEmailInHours: 24}, InsertInstant: base.UnixMilli(), LastUpdateInstant: base.UnixMilli()}
}

func consentIDs(t *testing.T, s storage.Storage) []string {
	t.Helper()
	list, err := s.ListConsents(context.Background())
	must(t, err)
	ids := []string{}
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

// testConsents: consents round-trip, list by name without case, names are
// unique without case on create and update (nothing written, not even the
// audit entry), an update names the revision it read, a delete removes
// the consent.
func testConsents(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := newConsent("c1", "Marketing")
	must(t, s.CreateConsent(ctx, c))
	must(t, s.CreateConsent(ctx, newConsent("c2", "analytics")))
	got, err := s.GetConsent(ctx, "c1")
	must(t, err)
	if got.Revision != 1 {
		t.Fatalf("revision %d, want 1", got.Revision)
	}
	got.Revision = 0
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip: %+v, want %+v", got, c)
	}
	if ids := consentIDs(t, s); !slices.Equal(ids, []string{"c2", "c1"}) {
		t.Fatalf("list: %v", ids)
	}
	entry := storage.AuditEntry{InsertInstant: base.UnixMilli(), InsertUser: "test", Message: "refused consent write"}
	wantErr(t, s.CreateConsent(ctx, newConsent("c3", "MARKETING"), entry), storage.ErrConflict)
	wantErr(t, s.CreateConsent(ctx, newConsent("c1", "Other"), entry), storage.ErrConflict)
	upd := newConsent("c2", "marketing")
	upd.Revision = 1
	wantErr(t, s.UpdateConsent(ctx, upd, entry), storage.ErrConflict)
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "refused", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("the refused writes' audit entries: %d %v", n, err)
	}
	upd.Name = "Analytics v2"
	must(t, s.UpdateConsent(ctx, upd))
	wantErr(t, s.UpdateConsent(ctx, upd), storage.ErrStale) // revision 1 is gone
	got, err = s.GetConsent(ctx, "c2")
	must(t, err)
	if got.Name != "Analytics v2" || got.Revision != 2 {
		t.Fatalf("after the update: %+v", got)
	}
	upd.ID = "ghost"
	upd.Revision = 0
	wantErr(t, s.UpdateConsent(ctx, upd), storage.ErrNotFound)
	must(t, s.DeleteConsent(ctx, "c2"))
	wantErr(t, s.DeleteConsent(ctx, "c2"), storage.ErrNotFound)
	if _, err := s.GetConsent(ctx, "c2"); err == nil {
		t.Fatal("deleted consent still read")
	}
	if ids := consentIDs(t, s); !slices.Equal(ids, []string{"c1"}) {
		t.Fatalf("after the delete: %v", ids)
	}
}

// testUserConsents: a user consent takes its user's tenant, round-trips,
// lists by insertInstant (ties by id) per user, updates with a revision;
// an unknown user or consent is ErrNotFound and a duplicate id
// ErrConflict, nothing stored (neither its outbox messages nor its audit
// entries); a grant's outbox messages commit with it.
func testUserConsents(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateConsent(ctx, newConsent("c1", "Marketing")))
	at := base.UnixMilli()
	uc := storage.UserConsent{ID: "uc2", UserID: u.ID, ConsentID: "c1", GiverUserID: u.ID, Status: "Active", Values: []string{"Written"},
		InsertInstant: at, LastUpdateInstant: at}
	granted := storage.OutboxMessage{ID: "0c0c0c0c-0000-4000-8000-000000000001", Queue: "consent_reminder", TenantID: tenantID,
		Payload: []byte(`{"userConsentId":"uc2"}`), CreatedAt: base, NextAttemptAt: base.Add(30 * time.Hour)}
	must(t, s.CreateUserConsent(ctx, uc, []storage.OutboxMessage{granted}))
	if ms, err := s.ListOutbox(ctx, storage.OutboxFilter{Queue: "consent_reminder"}); err != nil || len(ms) != 1 ||
		ms[0].ID != granted.ID || !ms[0].NextAttemptAt.Equal(granted.NextAttemptAt) || string(ms[0].Payload) != string(granted.Payload) {
		t.Fatalf("the grant's outbox message: %+v %v", ms, err)
	}
	wantErr(t, s.EnqueueOutbox(ctx, granted), storage.ErrConflict) // a job enqueues its mail once by naming it
	notice := []storage.OutboxMessage{{ID: "0c0c0c0c-0000-4000-8000-000000000002", Queue: "consent_reminder", TenantID: tenantID,
		Payload: []byte(`{}`), CreatedAt: base}}
	first := uc
	first.ID = "uc1"
	must(t, s.CreateUserConsent(ctx, first, nil))
	earlier := uc
	earlier.ID, earlier.InsertInstant = "uc3", at-1
	must(t, s.CreateUserConsent(ctx, earlier, nil))
	got, err := s.GetUserConsent(ctx, "uc2")
	must(t, err)
	want := uc
	want.TenantID, want.Revision = tenantID, 1
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %+v, want %+v", got, want)
	}
	list, err := s.ListUserConsents(ctx, u.ID)
	must(t, err)
	var ids []string
	for _, l := range list {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, []string{"uc3", "uc1", "uc2"}) {
		t.Fatalf("list: %v", ids)
	}
	entry := storage.AuditEntry{InsertInstant: at, InsertUser: "test", Message: "refused grant"}
	bad := uc
	bad.ID, bad.UserID = "uc9", "ghost"
	wantErr(t, s.CreateUserConsent(ctx, bad, notice, entry), storage.ErrNotFound)
	bad.UserID, bad.ConsentID = u.ID, "ghost"
	wantErr(t, s.CreateUserConsent(ctx, bad, notice, entry), storage.ErrNotFound)
	wantErr(t, s.CreateUserConsent(ctx, uc, notice, entry), storage.ErrConflict)
	if _, n, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "refused", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("the refused grants' audit entries: %d %v", n, err)
	}
	if list, _ := s.ListUserConsents(ctx, u.ID); len(list) != 3 {
		t.Fatalf("after the refused grants: %d user consents", len(list))
	}
	if ms, err := s.ListOutbox(ctx, storage.OutboxFilter{Queue: "consent_reminder"}); err != nil || len(ms) != 1 {
		t.Fatalf("the refused grants' outbox messages were stored: %d %v", len(ms), err)
	}
	got.Status, got.LastUpdateInstant = "Revoked", at+5
	must(t, s.UpdateUserConsent(ctx, got))
	wantErr(t, s.UpdateUserConsent(ctx, got), storage.ErrStale)
	again, err := s.GetUserConsent(ctx, "uc2")
	must(t, err)
	if again.Status != "Revoked" || again.LastUpdateInstant != at+5 || again.Revision != 2 {
		t.Fatalf("after the update: %+v", again)
	}
	got.ID, got.Revision = "ghost", 0
	wantErr(t, s.UpdateUserConsent(ctx, got), storage.ErrNotFound)
}

// testUserConsentsGoWithUserAndConsent: deleting a user deletes their
// consents (not the ones they gave others); deleting a consent deletes
// every user consent of it.
func testUserConsentsGoWithUserAndConsent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	child := newUser("u2", "kid@example.com", "kid")
	must(t, s.CreateUser(ctx, child))
	must(t, s.CreateConsent(ctx, newConsent("c1", "One")))
	must(t, s.CreateConsent(ctx, newConsent("c2", "Two")))
	at := base.UnixMilli()
	for _, uc := range []storage.UserConsent{
		{ID: "own", UserID: u.ID, ConsentID: "c1", GiverUserID: u.ID},
		{ID: "given", UserID: child.ID, ConsentID: "c1", GiverUserID: u.ID},
		{ID: "two", UserID: child.ID, ConsentID: "c2", GiverUserID: child.ID},
	} {
		uc.Status, uc.InsertInstant = "Active", at
		must(t, s.CreateUserConsent(ctx, uc, nil))
	}
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	wantErr(t, func() error { _, err := s.GetUserConsent(ctx, "own"); return err }(), storage.ErrNotFound)
	if _, err := s.GetUserConsent(ctx, "given"); err != nil {
		t.Fatalf("the consent the deleted user gave: %v", err)
	}
	must(t, s.DeleteConsent(ctx, "c1"))
	list, err := s.ListUserConsents(ctx, child.ID)
	must(t, err)
	if len(list) != 1 || list[0].ID != "two" {
		t.Fatalf("after deleting consent c1: %+v", list)
	}
}
