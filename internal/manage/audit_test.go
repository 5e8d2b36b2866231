package manage_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestAuditEntryKeepsWhatChanged: an update's entry holds only the changed
// properties (nested objects property by property, lists whole), lists
// their paths, names the actor from the context, and redacts secrets
// wherever they are, in old and new values alike.
func TestAuditEntryKeepsWhatChanged(t *testing.T) {
	ctx := manage.WithActor(context.Background(), manage.Actor{APIKeyID: "k1"})
	old := map[string]any{"name": "A", "same": 1, "oauthConfiguration": map[string]any{"clientSecret": "old-secret", "clientId": "c"},
		"roles": []any{"a"}, "emailConfiguration": map[string]any{"password": "smtp-old", "host": "h"}}
	new := map[string]any{"name": "B", "same": 1, "oauthConfiguration": map[string]any{"clientSecret": "new-secret", "clientId": "c"},
		"roles": []any{"a", "b"}, "emailConfiguration": map[string]any{"password": "smtp-new", "host": "h"}}
	e := manage.AuditEntry(ctx, now, "t1", "Updated", old, new)
	raw, err := json.Marshal(e)
	must(t, err)
	for _, secret := range []string{"old-secret", "new-secret", "smtp-old", "smtp-new"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("entry holds %q: %s", secret, raw)
		}
	}
	changed := e.Data["changedFields"].([]string)
	want := []string{"emailConfiguration.password", "name", "oauthConfiguration.clientSecret", "roles"}
	if !slices.Equal(changed, want) {
		t.Fatalf("changedFields %v, want %v", changed, want)
	}
	nv := e.NewValue.(map[string]any)
	if _, ok := nv["same"]; ok || nv["name"] != "B" || nv["oauthConfiguration"].(map[string]any)["clientSecret"] != manage.Redacted {
		t.Fatalf("newValue %v", nv)
	}
	if _, ok := nv["oauthConfiguration"].(map[string]any)["clientId"]; ok {
		t.Fatal("an unchanged nested property is in the entry")
	}
	if e.InsertUser != "apiKey:k1" || e.TenantID != "t1" || e.InsertInstant != now.UnixMilli() {
		t.Fatalf("entry %+v", e)
	}
	// No actor in the context: the change is latchkey's own.
	if e := manage.AuditEntry(context.Background(), now, "", "x", nil, nil); e.InsertUser != "latchkey" {
		t.Fatalf("insertUser %q", e.InsertUser)
	}
	// The console names its admin; the id stays in data.actor.
	admin := manage.WithActor(context.Background(), manage.Actor{UserID: "u9", Name: "admin@example.test"})
	if e := manage.AuditEntry(admin, now, "", "x", nil, nil); e.InsertUser != "admin@example.test" ||
		e.Data["actor"].(map[string]any)["userId"] != "u9" {
		t.Fatalf("admin entry %+v", e)
	}
}

// TestUndoneCreateIsAudited: a create taken back because its token could
// not be minted leaves two entries, the create and its undo, so the log
// never shows a user that does not exist as created.
func TestUndoneCreateIsAudited(t *testing.T) {
	st := openStore(t)
	ctx := manage.WithActor(context.Background(), manage.Actor{APIKeyID: "k1"})
	users := &manage.Users{Store: st, Tokens: failingIssuer{}, Now: clock}
	_, err := users.Create(ctx, manage.NewUser{User: manage.UserInput{User: storage.User{Email: "ada@example.test"}, Password: "correct horse"}})
	if err == nil {
		t.Fatal("create succeeded")
	}
	entries, _, err := st.SearchAuditEntries(ctx, storage.AuditSearch{Asc: true, Limit: 10})
	must(t, err)
	if len(entries) != 2 || !strings.HasPrefix(entries[0].Message, "Created the user") || !strings.HasPrefix(entries[1].Message, "Removed the user") {
		t.Fatalf("entries %+v", entries)
	}
}

// TestMatchPattern: FusionAuth's database search semantics for names.
func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		p, v string
		want bool
	}{
		{"staff", "Support Staff", true}, {"STAFF", "support staff", true}, {"sup*", "Support Staff", true},
		{"sup*", "A support", false}, {"*staff", "Support Staff", true}, {"s*t*x", "Support Staff", false},
		{"s*t*ff", "Support Staff", true}, {"a*a", "a", false}, {"*", "anything", true}, {"x", "", false},
	} {
		if got := manage.MatchPattern(tc.p, tc.v); got != tc.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", tc.p, tc.v, got, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
