package manage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// writesBeforeWrite is the real store where another write of the same
// application (tenant, system configuration) commits between a use case's
// read and its write, the first writes times (-1: every time). Each such
// write adds its own mark: a data key interloper-<n>, or for the system
// configuration an allowed header X-Interloper-<n>; n counts per name.
type writesBeforeWrite struct {
	storage.Storage
	writes int
	name   string // in the marks, which are <name>-<n>
	n      int
}

func (s *writesBeforeWrite) next() (string, bool) {
	if s.writes == 0 {
		return "", false
	}
	s.writes--
	s.n++
	return fmt.Sprint(strings.ReplaceAll(s.name, " ", "-"), "-", s.n), true
}

func (s *writesBeforeWrite) interloseApplication(ctx context.Context, id string) error {
	n, ok := s.next()
	if !ok {
		return nil
	}
	a, err := s.Storage.GetApplication(ctx, id)
	if err != nil {
		return err
	}
	a.Revision, a.Data = 0, withKey(a.Data, "interloper-"+n)
	return s.Storage.UpdateApplication(ctx, a)
}

func withKey(data map[string]any, key string) map[string]any {
	out := map[string]any{key: true}
	for k, v := range data {
		out[k] = v
	}
	return out
}

func (s *writesBeforeWrite) UpdateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error {
	if err := s.interloseApplication(ctx, a.ID); err != nil {
		return err
	}
	return s.Storage.UpdateApplication(ctx, a, audit...)
}

func (s *writesBeforeWrite) ChangeApplicationRole(ctx context.Context, c storage.RoleChange, audit ...storage.AuditEntry) error {
	if err := s.interloseApplication(ctx, c.Application.ID); err != nil {
		return err
	}
	return s.Storage.ChangeApplicationRole(ctx, c, audit...)
}

func (s *writesBeforeWrite) UpdateTenant(ctx context.Context, t storage.Tenant, audit ...storage.AuditEntry) error {
	if n, ok := s.next(); ok {
		other, err := s.Storage.GetTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		other.Revision, other.Data = 0, withKey(other.Data, "interloper-"+n)
		if err := s.Storage.UpdateTenant(ctx, other); err != nil {
			return err
		}
	}
	return s.Storage.UpdateTenant(ctx, t, audit...)
}

func (s *writesBeforeWrite) PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error {
	if n, ok := s.next(); ok {
		other, err := s.Storage.GetSystemConfiguration(ctx)
		if err != nil {
			return err
		}
		other.Revision = 0
		other.CORSConfiguration.AllowedHeaders = append(slices.Clone(other.CORSConfiguration.AllowedHeaders), "X-Interloper-"+n)
		if err := s.Storage.PutSystemConfiguration(ctx, other); err != nil {
			return err
		}
	}
	return s.Storage.PutSystemConfiguration(ctx, c, audit...)
}

// forgetsAfter records, at each ForgetApplication and ForgetTenant, the
// revision the store then has: a cache cleared before the write that won
// would be refilled with what that write replaced.
type forgetsAfter struct {
	st        storage.Storage
	revisions []int64
}

func (f *forgetsAfter) ForgetApplication(id string) {
	a, _ := f.st.GetApplication(context.Background(), id)
	f.revisions = append(f.revisions, a.Revision)
}

func (f *forgetsAfter) ForgetTenant(id string) {
	t, _ := f.st.GetTenant(context.Background(), id)
	f.revisions = append(f.revisions, t.Revision)
}

// configUpdate is one read-modify-write use case under test: run applies
// it (counting its change's runs in *applied where it has a change
// function), check reports what it left in the store: whether the
// request's change is there, the interlopers' marks, and the record's
// revision.
type configUpdate struct {
	name  string
	run   func(ctx context.Context, st storage.Storage, cache *forgetsAfter, applied *int) error
	check func(ctx context.Context, st storage.Storage) (changed bool, marks []string, revision int64)
}

// interloperKeys are data's keys that writesBeforeWrite added.
func interloperKeys(data map[string]any) []string {
	var keys []string
	for k := range data {
		if strings.HasPrefix(k, "interloper-") {
			keys = append(keys, k)
		}
	}
	return keys
}

func configUpdates(t *testing.T, base storage.Storage) []configUpdate {
	ctx := context.Background()
	a := manage.ApplicationDefaults()
	a.Name = "Store"
	app, err := (&manage.Applications{Store: base, Cache: forgetNothing{}, Now: clock}).Create(ctx, "", a)
	if err != nil {
		t.Fatal(err)
	}
	appMarks := func(ctx context.Context, st storage.Storage) (storage.Application, []string) {
		got, err := st.GetApplication(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got, interloperKeys(got.Data)
	}
	return []configUpdate{
		{"application", func(ctx context.Context, st storage.Storage, cache *forgetsAfter, applied *int) error {
			_, err := (&manage.Applications{Store: st, Cache: cache, Now: clock}).Update(ctx, manage.Scope{}, app.ID,
				func(cur storage.Application) (storage.Application, error) {
					*applied++
					cur.Data = withKey(cur.Data, "k")
					return cur, nil
				})
			return err
		}, func(ctx context.Context, st storage.Storage) (bool, []string, int64) {
			got, marks := appMarks(ctx, st)
			return got.Data["k"] != nil, marks, got.Revision
		}},
		{"application role", func(ctx context.Context, st storage.Storage, cache *forgetsAfter, applied *int) error {
			*applied++ // Create takes a role, not a change function
			_, err := (&manage.Roles{Store: st, Cache: cache, Now: clock}).Create(ctx, manage.Scope{}, app.ID, "", storage.ApplicationRole{Name: "k"})
			return err
		}, func(ctx context.Context, st storage.Storage) (bool, []string, int64) {
			got, marks := appMarks(ctx, st)
			return slices.ContainsFunc(got.Roles, func(r storage.ApplicationRole) bool { return r.Name == "k" }), marks, got.Revision
		}},
		{"tenant", func(ctx context.Context, st storage.Storage, cache *forgetsAfter, applied *int) error {
			_, err := (&manage.Tenants{Store: st, Cache: cache, Now: clock}).Update(ctx, manage.Scope{}, manage.DefaultTenantID,
				func(cur storage.Tenant) (storage.Tenant, error) {
					*applied++
					cur.Data = withKey(cur.Data, "k")
					return cur, nil
				})
			return err
		}, func(ctx context.Context, st storage.Storage) (bool, []string, int64) {
			got, err := st.GetTenant(ctx, manage.DefaultTenantID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Data["k"] != nil, interloperKeys(got.Data), got.Revision
		}},
		{"system configuration", func(ctx context.Context, st storage.Storage, _ *forgetsAfter, applied *int) error {
			_, err := (&manage.SystemConfig{Store: st, Now: clock}).Update(ctx,
				func(cur storage.SystemConfiguration) (storage.SystemConfiguration, error) {
					*applied++
					cur.ReportTimezone = "Europe/Paris"
					return cur, nil
				})
			return err
		}, func(ctx context.Context, st storage.Storage) (bool, []string, int64) {
			got, err := st.GetSystemConfiguration(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var marks []string
			for _, h := range got.CORSConfiguration.AllowedHeaders {
				if strings.HasPrefix(h, "X-Interloper-") {
					marks = append(marks, h)
				}
			}
			return got.ReportTimezone == "Europe/Paris", marks, got.Revision
		}},
	}
}

// TestConfigUpdateKeepsAWriteBetweenReadAndWrite: an update of an
// application (a role change of it, an update of a tenant, of the system
// configuration) whose read came before another write of the record
// applies its change to the record as that write left it: the other
// write stays (it was written back from the stale read before), the
// change is applied again to what was read again, and the cache is
// cleared after the write that won.
func TestConfigUpdateKeepsAWriteBetweenReadAndWrite(t *testing.T) {
	ctx := context.Background()
	base := openStore(t)
	for _, u := range configUpdates(t, base) {
		t.Run(u.name, func(t *testing.T) {
			_, before, _ := u.check(ctx, base)
			st := &writesBeforeWrite{Storage: base, writes: 1, name: u.name}
			cache := &forgetsAfter{st: base}
			applied := 0
			if err := u.run(ctx, st, cache, &applied); err != nil {
				t.Fatal(err)
			}
			changed, marks, revision := u.check(ctx, base)
			if !changed || len(marks) != len(before)+1 {
				t.Fatalf("the change applied: %v; the other writes' marks: %v (before: %v); want the change and one more mark", changed, marks, before)
			}
			if u.name != "application role" && applied != 2 {
				t.Fatalf("change applied %d times, want 2 (the lost try, the one that won)", applied)
			}
			if len(cache.revisions) > 0 && cache.revisions[len(cache.revisions)-1] != revision {
				t.Fatalf("the cache was last cleared at revision %d; the record is at %d", cache.revisions[len(cache.revisions)-1], revision)
			}
		})
	}
}

// TestConfigUpdateThatAlwaysLosesIsContended: when another write lands
// between every try's read and its write, each of these updates gives up
// with ErrContended (409 [ConcurrentModification]) and nothing of it is
// written, while every other write stays.
func TestConfigUpdateThatAlwaysLosesIsContended(t *testing.T) {
	ctx := context.Background()
	base := openStore(t)
	for _, u := range configUpdates(t, base) {
		t.Run(u.name, func(t *testing.T) {
			_, before, _ := u.check(ctx, base)
			st := &writesBeforeWrite{Storage: base, writes: -1, name: u.name}
			applied := 0
			if err := u.run(ctx, st, &forgetsAfter{st: base}, &applied); !errors.Is(err, manage.ErrContended) {
				t.Fatalf("%v, want ErrContended", err)
			}
			changed, marks, _ := u.check(ctx, base)
			if changed || len(marks)-len(before) != st.n {
				t.Fatalf("the change was written: %v; %d of the %d other writes kept", changed, len(marks)-len(before), st.n)
			}
		})
	}
}
