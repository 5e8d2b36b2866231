package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// configRecord is one kind of configuration record whose PATCH is a
// read-modify-write of its whole document: how to create one, and a map
// of its JSON that a PATCH can add keys to.
type configRecord struct {
	name   string // the record's JSON key and the API path after /api/
	path   string
	create string           // the create body
	patch  func(int) string // the i-th PATCH body: adds key k<i> to the map
	keys   func(map[string]any) map[string]any
}

// configRecords are the records TestConcurrentConfigurationPatchesAllKept
// patches. A lambda has no map a PATCH can add to; TestConfigurationWrite
// BetweenReadAndWriteKept covers it.
var configRecords = []configRecord{
	{name: "identityProvider", path: "/api/identity-provider",
		create: `{"identityProvider":{"type":"OpenIDConnect","name":"Upstream","buttonText":"Go",` +
			`"oauth2":{"client_id":"c","client_secret":"s","issuer":"https://idp.example.test"}}}`,
		patch: func(i int) string {
			return fmt.Sprintf(`{"identityProvider":{"applicationConfiguration":{"k%d":{"enabled":true,"buttonText":"%d"}}}}`, i, i)
		},
		keys: func(m map[string]any) map[string]any { return sub(m, "applicationConfiguration") }},
	{name: "group", path: "/api/group", create: `{"group":{"name":"Editors"}}`,
		patch: func(i int) string { return fmt.Sprintf(`{"group":{"data":{"k%d":%d}}}`, i, i) },
		keys:  func(m map[string]any) map[string]any { return sub(m, "data") }},
	{name: "userAction", path: "/api/user-action", create: `{"userAction":{"name":"Warn"}}`,
		patch: func(i int) string { return fmt.Sprintf(`{"userAction":{"localizedNames":{"k%d":"%d"}}}`, i, i) },
		keys:  func(m map[string]any) map[string]any { return sub(m, "localizedNames") }},
	{name: "webhook", path: "/api/webhook", create: `{"webhook":{"url":"https://hooks.example.test/in","description":"Inbox","connectTimeout":1000,"readTimeout":2000}}`,
		patch: func(i int) string { return fmt.Sprintf(`{"webhook":{"data":{"k%d":%d}}}`, i, i) },
		keys:  func(m map[string]any) map[string]any { return sub(m, "data") }},
	{name: "emailTemplate", path: "/api/email/template",
		create: `{"emailTemplate":{"name":"Notice","defaultSubject":"Hi","defaultHtmlTemplate":"<p>Hi</p>","defaultTextTemplate":"Hi"}}`,
		patch:  func(i int) string { return fmt.Sprintf(`{"emailTemplate":{"localizedSubjects":{"k%d":"%d"}}}`, i, i) },
		keys:   func(m map[string]any) map[string]any { return sub(m, "localizedSubjects") }},
}

// created creates a rec and returns its id.
func created(t *testing.T, s *stack, rec configRecord) string {
	t.Helper()
	res := s.do(call{method: "POST", path: rec.path, body: rec.create, hdr: map[string]string{"Authorization": apiKey}})
	if res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	return res.json(t)[rec.name].(map[string]any)["id"].(string)
}

// sub is m[key] as a map (nil when it is not one).
func sub(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// TestConcurrentConfigurationPatchesAllKept: 30 PATCHes of one identity
// provider (group, user action, webhook, email template), each adding its
// own key to a map of the record, sent at once, are all answered 200 and
// all applied: a PATCH whose write lost the race reads the record again
// and applies its change to that (optimistic revisions, docs/decisions.md)
// instead of writing back the document it read before. On PostgreSQL when
// LATCHKEY_TEST_POSTGRES_DSN is set.
func TestConcurrentConfigurationPatchesAllKept(t *testing.T) {
	const n = 30
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	for _, rec := range configRecords {
		t.Run(rec.name, func(t *testing.T) {
			id := created(t, s, rec)
			var calls []call
			for i := range n {
				calls = append(calls, call{method: "PATCH", path: rec.path + "/" + id, hdr: key, body: rec.patch(i)})
			}
			for i, r := range together(t, s, calls) {
				if r.status != 200 {
					t.Errorf("PATCH %d: %d %s", i, r.status, r.body)
				}
			}
			res := s.do(call{method: "GET", path: rec.path + "/" + id, hdr: key})
			if res.status != 200 {
				t.Fatalf("GET: %d %s", res.status, res.body)
			}
			got := rec.keys(res.json(t)[rec.name].(map[string]any))
			var missing []string
			for i := range n {
				if _, ok := got[fmt.Sprint("k", i)]; !ok {
					missing = append(missing, fmt.Sprint("k", i))
				}
			}
			if len(missing) > 0 {
				t.Fatalf("%d of %d acknowledged PATCHes lost (%v); kept %d keys", len(missing), n, missing, len(got))
			}
		})
	}
}

// writeBetween is the real store where, before the first update of each
// kind of configuration record, another write of the same record commits:
// a write from another node (or this one's console) that lands between
// a PATCH's read and its write. It renames the record (a webhook's
// description, which it has instead of a name) and deactivates a user
// action.
type writeBetween struct {
	storage.Storage
	mu   sync.Mutex
	done map[string]bool
}

// first runs write once per kind of record (the first time it is asked).
func (s *writeBetween) first(kind string, write func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done[kind] {
		return nil
	}
	if s.done == nil {
		s.done = map[string]bool{}
	}
	s.done[kind] = true
	return write()
}

func (s *writeBetween) UpdateIdentityProvider(ctx context.Context, p storage.IdentityProvider, audit ...storage.AuditEntry) error {
	if err := s.first("identityProvider", func() error {
		cur, err := s.Storage.GetIdentityProvider(ctx, p.ID)
		cur.Name += " (renamed)"
		return errors.Join(err, s.Storage.UpdateIdentityProvider(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateIdentityProvider(ctx, p, audit...)
}

func (s *writeBetween) UpdateGroup(ctx context.Context, g storage.Group, audit ...storage.AuditEntry) error {
	if err := s.first("group", func() error {
		cur, err := s.Storage.GetGroup(ctx, g.ID)
		cur.Name += " (renamed)"
		return errors.Join(err, s.Storage.UpdateGroup(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateGroup(ctx, g, audit...)
}

func (s *writeBetween) UpdateUserAction(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error {
	if err := s.first("userAction", func() error {
		cur, err := s.Storage.GetUserAction(ctx, a.ID)
		cur.Name, cur.Active = cur.Name+" (renamed)", false // and deactivated
		return errors.Join(err, s.Storage.UpdateUserAction(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateUserAction(ctx, a, audit...)
}

func (s *writeBetween) UpdateWebhook(ctx context.Context, w storage.Webhook) error {
	if err := s.first("webhook", func() error {
		cur, err := s.Storage.GetWebhook(ctx, w.ID)
		cur.Description += " (renamed)"
		return errors.Join(err, s.Storage.UpdateWebhook(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateWebhook(ctx, w)
}

func (s *writeBetween) UpdateLambda(ctx context.Context, l storage.Lambda) error {
	if err := s.first("lambda", func() error {
		cur, err := s.Storage.GetLambda(ctx, l.ID)
		cur.Name += " (renamed)"
		return errors.Join(err, s.Storage.UpdateLambda(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateLambda(ctx, l)
}

func (s *writeBetween) UpdateEmailTemplate(ctx context.Context, t storage.EmailTemplate) error {
	if err := s.first("emailTemplate", func() error {
		cur, err := s.Storage.GetEmailTemplate(ctx, t.ID)
		cur.Name += " (renamed)"
		return errors.Join(err, s.Storage.UpdateEmailTemplate(ctx, cur))
	}); err != nil {
		return err
	}
	return s.Storage.UpdateEmailTemplate(ctx, t)
}

// TestConfigurationWriteBetweenReadAndWriteKept (adversarial): a PATCH of
// an identity provider (group, user action, webhook, lambda, email
// template) whose read is followed by another write of the record — a
// rename from another node — before its own write is answered 200 with
// both changes: its write named the revision it read, lost, and the PATCH
// was applied again, from the same body, to the renamed record. Written
// back as first computed, it would put the old name back (and reactivate
// a user action deactivated meanwhile).
func TestConfigurationWriteBetweenReadAndWriteKept(t *testing.T) {
	s := buildStack(t, stackOpts{store: &writeBetween{Storage: sqlstorage.OpenTest(t)}})
	key := map[string]string{"Authorization": apiKey}
	recs := append(slices.Clone(configRecords), configRecord{name: "lambda", path: "/api/lambda",
		create: `{"lambda":{"name":"Claims","type":"JWTPopulate","body":"function populate(jwt, user, registration) {}"}}`,
		patch:  func(i int) string { return `{"lambda":{"debug":true}}` }})
	for _, rec := range recs {
		t.Run(rec.name, func(t *testing.T) {
			id := created(t, s, rec)
			before := s.do(call{method: "GET", path: rec.path + "/" + id, hdr: key}).json(t)[rec.name].(map[string]any)
			named := "name"
			if rec.name == "webhook" {
				named = "description"
			}
			if res := s.do(call{method: "PATCH", path: rec.path + "/" + id, hdr: key, body: rec.patch(0)}); res.status != 200 {
				t.Fatalf("PATCH: %d %s", res.status, res.body)
			}
			got := s.do(call{method: "GET", path: rec.path + "/" + id, hdr: key}).json(t)[rec.name].(map[string]any)
			if want := fmt.Sprint(before[named]) + " (renamed)"; got[named] != want {
				t.Errorf("%s = %q after the PATCH, want the concurrent rename %q kept", named, got[named], want)
			}
			if rec.name == "userAction" && got["active"] != false {
				t.Errorf("the PATCH reactivated the user action deactivated under it: %v", got)
			}
			if rec.keys == nil {
				if got["debug"] != true {
					t.Errorf("the PATCH's debug=true was not applied: %v", got)
				}
			} else if _, ok := rec.keys(got)["k0"]; !ok {
				t.Errorf("the PATCH's key k0 was not applied: %v", got)
			}
		})
	}
}

// TestDeactivationKeepsAConcurrentRename: a deactivation of a user action
// (DELETE without hardDelete, a read-modify-write of the definition) whose
// read is followed by a rename from elsewhere is answered 200 and keeps
// the rename: it is applied again to the renamed definition.
func TestDeactivationKeepsAConcurrentRename(t *testing.T) {
	s := buildStack(t, stackOpts{store: &writeBetween{Storage: sqlstorage.OpenTest(t)}})
	id := s.apiOK("POST", "/api/user-action", map[string]any{"userAction": map[string]any{"name": "Warn"}})["userAction"].(map[string]any)["id"].(string)
	s.apiOK("DELETE", "/api/user-action/"+id, nil)
	got := s.apiOK("GET", "/api/user-action/"+id, nil)["userAction"].(map[string]any)
	if got["name"] != "Warn (renamed)" || got["active"] != false {
		t.Fatalf("after the deactivation: name %q, active %v; want the rename kept and inactive", got["name"], got["active"])
	}
}
