package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// newApplication creates an application through the API (FusionAuth's
// defaults for what it omits) and returns its id.
func newApplication(t *testing.T, s *stack) string {
	t.Helper()
	return s.apiOK("POST", "/api/application", map[string]any{"application": map[string]any{"name": "Concurrent"}})["application"].(map[string]any)["id"].(string)
}

// TestConcurrentApplicationPatchesAllApply is
// TestConcurrentUserPatchesAllApply for PATCH /api/application/{id}: 30
// PATCHes of one application, each adding its own data key, sent at once,
// are all answered 200 and all kept (each PATCH applies to the application
// as its try read it, and a try that lost to another write reads again).
func TestConcurrentApplicationPatchesAllApply(t *testing.T) {
	const n = 30
	s := newStack(t)
	path := "/api/application/" + newApplication(t, s)
	concurrentPatches(t, s, n, path, "application")
	data, _ := s.apiOK("GET", path, nil)["application"].(map[string]any)["data"].(map[string]any)
	wantAllKeys(t, "application.data", data, n)
}

// TestConcurrentRoleChangesAllKept: roles created on, renamed in and
// deleted from one application, sent at once with PATCHes of its data, are
// each answered 200 and each applied: the application ends with every
// created role under its new name, none of the deleted ones, and every
// data key (each of these requests rewrites the application's document).
func TestConcurrentRoleChangesAllKept(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	path := "/api/application/" + newApplication(t, s)
	ids := map[string]string{}
	for _, name := range []string{"old-0", "old-1", "old-2", "renamed-0", "renamed-1"} {
		ids[name] = s.apiOK("POST", path+"/role", map[string]any{"role": map[string]any{"name": name}})["role"].(map[string]any)["id"].(string)
	}
	want := []string{"new-name-0", "new-name-1"}
	var calls []call
	for i := range 12 {
		name := fmt.Sprint("added-", i)
		want = append(want, name)
		calls = append(calls, call{method: "POST", path: path + "/role", hdr: key, body: `{"role":{"name":"` + name + `"}}`})
	}
	for _, name := range []string{"old-0", "old-1", "old-2"} {
		calls = append(calls, call{method: "DELETE", path: path + "/role/" + ids[name], hdr: key})
	}
	for i, name := range []string{"renamed-0", "renamed-1"} {
		calls = append(calls, call{method: "PATCH", path: path + "/role/" + ids[name], hdr: key, body: fmt.Sprintf(`{"role":{"name":"new-name-%d"}}`, i)})
	}
	const patches = 8
	for i := range patches {
		calls = append(calls, call{method: "PATCH", path: path, hdr: key, body: fmt.Sprintf(`{"application":{"data":{"k%d":%d}}}`, i, i)})
	}
	for i, r := range together(t, s, calls) {
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", calls[i].method, calls[i].path, r.status, r.body)
		}
	}
	app := s.apiOK("GET", path, nil)["application"].(map[string]any)
	var names []string
	for _, r := range app["roles"].([]any) {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("the application's roles are %v, want %v", names, want)
	}
	data, _ := app["data"].(map[string]any)
	wantAllKeys(t, "application.data", data, patches)
}

// TestConcurrentTenantPatchesAllApply is
// TestConcurrentUserPatchesAllApply for PATCH /api/tenant/{id}.
func TestConcurrentTenantPatchesAllApply(t *testing.T) {
	const n = 30
	s := newStack(t)
	concurrentPatches(t, s, n, "/api/tenant/"+tenantID, "tenant")
	data, _ := s.apiOK("GET", "/api/tenant/"+tenantID, nil)["tenant"].(map[string]any)["data"].(map[string]any)
	wantAllKeys(t, "tenant.data", data, n)
}

// TestConcurrentSystemConfigurationPatchesAllApply: 20 PATCHes of
// /api/system-configuration sent at once, each adding its own CORS origin
// (FusionAuth's legacy merge appends arrays), are all answered 200 and the
// configuration ends with every origin.
func TestConcurrentSystemConfigurationPatchesAllApply(t *testing.T) {
	const n = 20
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	var calls []call
	var want []string
	for i := range n {
		origin := fmt.Sprintf("https://o%d.example", i)
		want = append(want, origin)
		calls = append(calls, call{method: "PATCH", path: "/api/system-configuration", hdr: key,
			body: `{"systemConfiguration":{"corsConfiguration":{"allowedOrigins":["` + origin + `"]}}}`})
	}
	for i, r := range together(t, s, calls) {
		if r.status != 200 {
			t.Fatalf("PATCH %d: %d %s", i, r.status, r.body)
		}
	}
	cors := s.apiOK("GET", "/api/system-configuration", nil)["systemConfiguration"].(map[string]any)["corsConfiguration"].(map[string]any)
	var got []string
	for _, o := range cors["allowedOrigins"].([]any) {
		if o := o.(string); slices.Contains(want, o) {
			got = append(got, o)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%d of %d acknowledged origins kept: %v", len(got), n, got)
	}
}

// writeBeforeFirstWrite is the real store where, once armed, another
// write of the record commits between the next update's read and its
// write: it adds the data key "interloper" (for the system configuration,
// the allowed header X-Interloper).
type writeBeforeFirstWrite struct {
	storage.Storage
	armed atomic.Bool
}

func (s *writeBeforeFirstWrite) interlope(write func() error) error {
	if !s.armed.CompareAndSwap(true, false) {
		return nil
	}
	return write()
}

func (s *writeBeforeFirstWrite) application(ctx context.Context, id string) error {
	return s.interlope(func() error {
		a, err := s.Storage.GetApplication(ctx, id)
		if err != nil {
			return err
		}
		a.Revision, a.Data = 0, map[string]any{"interloper": true}
		return s.Storage.UpdateApplication(ctx, a)
	})
}

func (s *writeBeforeFirstWrite) UpdateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error {
	if err := s.application(ctx, a.ID); err != nil {
		return err
	}
	return s.Storage.UpdateApplication(ctx, a, audit...)
}

func (s *writeBeforeFirstWrite) ChangeApplicationRole(ctx context.Context, c storage.RoleChange, audit ...storage.AuditEntry) error {
	if err := s.application(ctx, c.Application.ID); err != nil {
		return err
	}
	return s.Storage.ChangeApplicationRole(ctx, c, audit...)
}

func (s *writeBeforeFirstWrite) UpdateTenant(ctx context.Context, t storage.Tenant, audit ...storage.AuditEntry) error {
	err := s.interlope(func() error {
		other, err := s.Storage.GetTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		other.Revision, other.Data = 0, map[string]any{"interloper": true}
		return s.Storage.UpdateTenant(ctx, other)
	})
	if err != nil {
		return err
	}
	return s.Storage.UpdateTenant(ctx, t, audit...)
}

func (s *writeBeforeFirstWrite) PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error {
	err := s.interlope(func() error {
		other, err := s.Storage.GetSystemConfiguration(ctx)
		if err != nil {
			return err
		}
		other.Revision = 0
		other.CORSConfiguration.AllowedHeaders = append(slices.Clone(other.CORSConfiguration.AllowedHeaders), "X-Interloper")
		return s.Storage.PutSystemConfiguration(ctx, other)
	})
	if err != nil {
		return err
	}
	return s.Storage.PutSystemConfiguration(ctx, c, audit...)
}

// TestConfigPatchAppliedAgainAfterALostTry: a PATCH of an application, of
// one of its roles, of a tenant and of the system configuration whose
// first try lost to another write is decoded again from the same body for
// its second try (the body is read once from the connection), and both
// the PATCH and the other write are kept. A fresh stack per route.
func TestConfigPatchAppliedAgainAfterALostTry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		patch func(appID, roleID string) call
		kept  func(s *stack, appID string) (patched, other bool)
	}{
		{"application", func(appID, _ string) call {
			return call{method: "PATCH", path: "/api/application/" + appID, body: `{"application":{"data":{"k":1}}}`}
		}, func(s *stack, appID string) (bool, bool) {
			data, _ := s.apiOK("GET", "/api/application/"+appID, nil)["application"].(map[string]any)["data"].(map[string]any)
			return data["k"] == float64(1), data["interloper"] == true
		}},
		{"role", func(appID, roleID string) call {
			return call{method: "PATCH", path: "/api/application/" + appID + "/role/" + roleID, body: `{"role":{"description":"patched"}}`}
		}, func(s *stack, appID string) (bool, bool) {
			app := s.apiOK("GET", "/api/application/"+appID, nil)["application"].(map[string]any)
			data, _ := app["data"].(map[string]any)
			roles, _ := app["roles"].([]any)
			return len(roles) == 1 && roles[0].(map[string]any)["description"] == "patched", data["interloper"] == true
		}},
		{"tenant", func(string, string) call {
			return call{method: "PATCH", path: "/api/tenant/" + tenantID, body: `{"tenant":{"data":{"k":1}}}`}
		}, func(s *stack, _ string) (bool, bool) {
			data, _ := s.apiOK("GET", "/api/tenant/"+tenantID, nil)["tenant"].(map[string]any)["data"].(map[string]any)
			return data["k"] == float64(1), data["interloper"] == true
		}},
		{"system configuration", func(string, string) call {
			return call{method: "PATCH", path: "/api/system-configuration", body: `{"systemConfiguration":{"reportTimezone":"Europe/Paris"}}`}
		}, func(s *stack, _ string) (bool, bool) {
			c := s.apiOK("GET", "/api/system-configuration", nil)["systemConfiguration"].(map[string]any)
			headers, _ := c["corsConfiguration"].(map[string]any)["allowedHeaders"].([]any)
			return c["reportTimezone"] == "Europe/Paris", slices.Contains(headers, any("X-Interloper"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &writeBeforeFirstWrite{Storage: sqlstorage.OpenTest(t)}
			s := buildStack(t, stackOpts{store: st})
			appID := newApplication(t, s)
			roleID := s.apiOK("POST", "/api/application/"+appID+"/role", map[string]any{"role": map[string]any{"name": "r"}})["role"].(map[string]any)["id"].(string)
			st.armed.Store(true)
			c := tc.patch(appID, roleID)
			c.hdr = map[string]string{"Authorization": apiKey}
			if res := s.do(c); res.status != 200 {
				t.Fatalf("PATCH: %d %s", res.status, res.body)
			}
			if patched, other := tc.kept(s, appID); !patched || !other {
				t.Fatalf("after the PATCH: the PATCH kept %v, the other write kept %v", patched, other)
			}
		})
	}
}
