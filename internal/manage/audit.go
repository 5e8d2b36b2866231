package manage

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Actor is who makes a management change: the API key of an API call, or
// the admin user of the console. It travels in the request's context (set
// once where the caller is authenticated, like the request id) so every use
// case can name it in the audit entry it writes with its change, without
// each signature growing a parameter.
type Actor struct {
	APIKeyID string
	UserID   string
	// Name, when set, is shown as insertUser (the console: the admin's
	// email, as FusionAuth's admin UI writes it).
	Name string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries (the zero Actor when none).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// insertUser is the entry's insertUser: the name, else "apiKey:<id>" or
// "user:<id>", else "latchkey" for a change nobody outside asked for.
func (a Actor) insertUser() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.APIKeyID != "":
		return "apiKey:" + a.APIKeyID
	case a.UserID != "":
		return "user:" + a.UserID
	}
	return "latchkey"
}

// data is data.actor: the ids, whatever insertUser shows.
func (a Actor) data() map[string]any {
	d := map[string]any{}
	if a.APIKeyID != "" {
		d["apiKeyId"] = a.APIKeyID
	}
	if a.UserID != "" {
		d["userId"] = a.UserID
	}
	return d
}

// Redacted replaces a secret's value in an audit entry.
const Redacted = "[redacted]"

// secretFields are the JSON property names whose values never reach the
// audit log, wherever they appear: password hashes and passwords, client
// secrets, API key values and hashes, private keys, SMTP passwords
// (tenant.emailConfiguration.password), tokens, an identity provider's
// client_secret (FusionAuth's snake case there).
var secretFields = map[string]bool{"password": true, "clientSecret": true, "client_secret": true, "secret": true, "key": true,
	"keyHash": true, "privateKey": true, "salt": true, "hash": true, "token": true, "refreshToken": true,
	"oneTimePassword": true, "currentPassword": true}

// audit builds the entry of one change to a record of tenantID: message
// says what happened (FusionAuth's style, "Updated the user with Id [..]"),
// old and new are the record before and after (nil for a create or a
// delete). Only what changed is kept, secrets redacted; data.changedFields
// lists the changed property paths.
func audit(ctx context.Context, now time.Time, tenantID, message string, old, new any) storage.AuditEntry {
	a := ActorFrom(ctx)
	e := storage.AuditEntry{InsertInstant: now.UnixMilli(), InsertUser: a.insertUser(), Message: message,
		TenantID: tenantID, Data: map[string]any{"actor": a.data()}}
	o, n := jsonValue(old), jsonValue(new)
	var changed []string
	o, n = diff(o, n, "", &changed)
	if o != nil {
		e.OldValue = redact(o)
	}
	if n != nil {
		e.NewValue = redact(n)
	}
	if len(changed) > 0 {
		e.Data["changedFields"] = changed
	}
	return e
}

// AuditEntry is audit for a write made outside this package (Kickstart's
// API keys), so every entry has the same shape.
func AuditEntry(ctx context.Context, now time.Time, tenantID, message string, old, new any) storage.AuditEntry {
	return audit(ctx, now, tenantID, message, old, new)
}

// jsonValue is v as its JSON form decodes (maps, slices, strings, numbers),
// so records of every type are compared by what the API shows.
func jsonValue(v any) any {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if jsonnum.Unmarshal(b, &out) != nil { // a number in data stays as the API shows it
		return nil
	}
	return out
}

// diff returns the parts of old and new that differ: objects property by
// property (recursively), anything else as a whole. It appends each
// changed path to changed.
func diff(old, new any, path string, changed *[]string) (any, any) {
	om, oOK := old.(map[string]any)
	nm, nOK := new.(map[string]any)
	if !oOK || !nOK {
		if reflect.DeepEqual(old, new) {
			return nil, nil
		}
		if path != "" {
			*changed = append(*changed, path)
		}
		return old, new
	}
	od, nd := map[string]any{}, map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(union(om, nm))) {
		p := k
		if path != "" {
			p = path + "." + k
		}
		o, n := diff(om[k], nm[k], p, changed)
		if o != nil {
			od[k] = o
		}
		if n != nil {
			nd[k] = n
		}
	}
	if len(od) == 0 && len(nd) == 0 {
		return nil, nil
	}
	return nilIfEmpty(od), nilIfEmpty(nd)
}

func union(a, b map[string]any) map[string]any {
	u := maps.Clone(a)
	maps.Copy(u, b)
	return u
}

func nilIfEmpty(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// redact replaces the values of secretFields, at any depth.
func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretFields[k] && e != nil {
				x[k] = Redacted
			} else {
				x[k] = redact(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = redact(e)
		}
	}
	return v
}
