package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testAuditWithEveryWrite: every write method that takes audit entries
// stores them exactly when its change commits: a write refused (unknown
// record, duplicate) leaves no entry behind.
func testAuditWithEveryWrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	must(t, s.CreateGroup(ctx, newGroup("g1", "One")))
	must(t, s.CreateUserAction(ctx, newUserAction("a1", "Lock", true)))
	_, err := s.TakeUserAction(ctx, newActionLog("l1", u.ID, true, base.UnixMilli()+1), nil)
	must(t, err)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", u.ID, app.ID, "s1")))
	e := func(msg string) storage.AuditEntry { return newEntry(msg, "apiKey:k1", base.UnixMilli()) }
	u2 := newUser("u2", "two@example.com", "")
	app2 := newApp("app2", true)
	sysconf := storage.SystemConfiguration{ReportTimezone: "UTC"}
	key := storage.SigningKey{ID: "kid2", Algorithm: "ES256", PrivateKeyPEM: "p", PublicKeyPEM: "q", CreatedAt: base}
	tests := []struct {
		name  string
		write func(a storage.AuditEntry) error
		ok    bool
	}{
		{"CreateUser", func(a storage.AuditEntry) error { return s.CreateUser(ctx, u2, a) }, true},
		{"CreateUser duplicate", func(a storage.AuditEntry) error { return s.CreateUser(ctx, u2, a) }, false},
		{"UpdateUser", func(a storage.AuditEntry) error { return s.UpdateUser(ctx, u2, a) }, true},
		{"UpdateUser missing", func(a storage.AuditEntry) error { return s.UpdateUser(ctx, newUser("x", "x@example.com", ""), a) }, false},
		{"CreateAccount", func(a storage.AuditEntry) error {
			return s.CreateAccount(ctx, storage.NewAccount{User: newUser("u3", "three@example.com", ""), Audit: []storage.AuditEntry{a}})
		}, true},
		{"CreateAccount duplicate", func(a storage.AuditEntry) error {
			return s.CreateAccount(ctx, storage.NewAccount{User: newUser("u3", "three@example.com", ""), Audit: []storage.AuditEntry{a}})
		}, false},
		{"ChangeUser", func(a storage.AuditEntry) error {
			return s.ChangeUser(ctx, storage.UserChange{UserID: "u3", Now: base, RevokeReason: "user_deactivated", Audit: []storage.AuditEntry{a}})
		}, true},
		{"ChangeUser missing", func(a storage.AuditEntry) error {
			return s.ChangeUser(ctx, storage.UserChange{UserID: "nobody", Now: base, Audit: []storage.AuditEntry{a}})
		}, false},
		{"CreateApplication", func(a storage.AuditEntry) error { return s.CreateApplication(ctx, app2, a) }, true},
		{"CreateApplication duplicate", func(a storage.AuditEntry) error { return s.CreateApplication(ctx, app2, a) }, false},
		{"UpdateApplication", func(a storage.AuditEntry) error { return s.UpdateApplication(ctx, app2, a) }, true},
		{"UpdateApplication missing", func(a storage.AuditEntry) error { return s.UpdateApplication(ctx, newApp("x", true), a) }, false},
		{"CreateRegistration", func(a storage.AuditEntry) error {
			return s.CreateRegistration(ctx, storage.Registration{ID: "reg2", UserID: "u2", ApplicationID: "app2"}, a)
		}, true},
		{"CreateRegistration duplicate", func(a storage.AuditEntry) error {
			return s.CreateRegistration(ctx, storage.Registration{ID: "reg3", UserID: "u2", ApplicationID: "app2"}, a)
		}, false},
		{"UpdateRegistration", func(a storage.AuditEntry) error {
			return s.UpdateRegistration(ctx, storage.Registration{ID: "reg2", UserID: "u2", ApplicationID: "app2", Roles: []string{"admin"}}, a)
		}, true},
		{"UpdateRegistration missing", func(a storage.AuditEntry) error {
			return s.UpdateRegistration(ctx, storage.Registration{UserID: "u2", ApplicationID: "app1"}, a)
		}, false},
		{"DeleteRegistration", func(a storage.AuditEntry) error { return s.DeleteRegistration(ctx, "u2", "app2", a) }, true},
		{"DeleteRegistration missing", func(a storage.AuditEntry) error { return s.DeleteRegistration(ctx, "u2", "app2", a) }, false},
		{"CreateAPIKey", func(a storage.AuditEntry) error {
			return s.CreateAPIKey(ctx, storage.APIKey{ID: "k1", KeyHash: hash("k")}, a)
		}, true},
		{"CreateAPIKey duplicate", func(a storage.AuditEntry) error {
			return s.CreateAPIKey(ctx, storage.APIKey{ID: "k2", KeyHash: hash("k")}, a)
		}, false},
		{"UpdateTenant", func(a storage.AuditEntry) error { return s.UpdateTenant(ctx, newTenant(tenantID), a) }, true},
		{"UpdateTenant missing", func(a storage.AuditEntry) error { return s.UpdateTenant(ctx, newTenant("missing"), a) }, false},
		{"PutSystemConfiguration", func(a storage.AuditEntry) error { return s.PutSystemConfiguration(ctx, sysconf, a) }, true},
		{"RevokeRefreshTokens", func(a storage.AuditEntry) error {
			_, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: u.ID}, base, "admin", a)
			return err
		}, true},
		{"RotateSigningKey", func(a storage.AuditEntry) error { return s.RotateSigningKey(ctx, key, base.Add(time.Hour), a) }, true},
		{"RotateSigningKey duplicate id", func(a storage.AuditEntry) error { return s.RotateSigningKey(ctx, key, base.Add(time.Hour), a) }, false},
		{"CreateGroup", func(a storage.AuditEntry) error { return s.CreateGroup(ctx, newGroup("g2", "Two"), a) }, true},
		{"CreateGroup duplicate", func(a storage.AuditEntry) error { return s.CreateGroup(ctx, newGroup("g3", "two"), a) }, false},
		{"UpdateGroup", func(a storage.AuditEntry) error { return s.UpdateGroup(ctx, newGroup("g2", "Deux"), a) }, true},
		{"UpdateGroup missing", func(a storage.AuditEntry) error { return s.UpdateGroup(ctx, newGroup("gx", "X"), a) }, false},
		{"SaveGroupMembers", func(a storage.AuditEntry) error {
			_, err := s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m1", GroupID: "g1", UserID: u.ID}}, nil, a)
			return err
		}, true},
		{"SaveGroupMembers unknown user", func(a storage.AuditEntry) error {
			_, err := s.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m2", GroupID: "g1", UserID: "nobody"}}, nil, a)
			return err
		}, false},
		{"DeleteGroupMembers", func(a storage.AuditEntry) error {
			_, err := s.DeleteGroupMembers(ctx, storage.GroupMemberFilter{IDs: []string{"m1"}}, a)
			return err
		}, true},
		{"DeleteGroup", func(a storage.AuditEntry) error { return s.DeleteGroup(ctx, "g2", a) }, true},
		{"DeleteGroup missing", func(a storage.AuditEntry) error { return s.DeleteGroup(ctx, "g2", a) }, false},
		{"CreateUserAction", func(a storage.AuditEntry) error {
			return s.CreateUserAction(ctx, newUserAction("a2", "Warn", false), a)
		}, true},
		{"CreateUserAction duplicate", func(a storage.AuditEntry) error {
			return s.CreateUserAction(ctx, newUserAction("a3", "warn", false), a)
		}, false},
		{"UpdateUserAction", func(a storage.AuditEntry) error {
			return s.UpdateUserAction(ctx, newUserAction("a2", "Warning", false), a)
		}, true},
		{"UpdateUserAction missing", func(a storage.AuditEntry) error { return s.UpdateUserAction(ctx, newUserAction("ax", "X", false), a) }, false},
		{"DeleteUserAction", func(a storage.AuditEntry) error { return s.DeleteUserAction(ctx, "a2", a) }, true},
		{"DeleteUserAction missing", func(a storage.AuditEntry) error { return s.DeleteUserAction(ctx, "a2", a) }, false},
		{"TakeUserAction", func(a storage.AuditEntry) error {
			_, err := s.TakeUserAction(ctx, newActionLog("l2", u.ID, false, 0), nil, a)
			return err
		}, true},
		{"TakeUserAction unknown user", func(a storage.AuditEntry) error {
			_, err := s.TakeUserAction(ctx, newActionLog("l3", "nobody", false, 0), nil, a)
			return err
		}, false},
		{"UpdateUserActionLog", func(a storage.AuditEntry) error {
			return s.UpdateUserActionLog(ctx, newActionLog("l1", u.ID, true, 1), a)
		}, true},
		{"UpdateUserActionLog missing", func(a storage.AuditEntry) error {
			return s.UpdateUserActionLog(ctx, newActionLog("lx", u.ID, true, 1), a)
		}, false},
		{"ChangeApplicationRole", func(a storage.AuditEntry) error {
			return s.ChangeApplicationRole(ctx, storage.RoleChange{Application: app, RoleID: app.Roles[0].ID}, a)
		}, true},
		{"ChangeApplicationRole missing", func(a storage.AuditEntry) error {
			return s.ChangeApplicationRole(ctx, storage.RoleChange{Application: newApp("x", true)}, a)
		}, false},
		{"RemoveTwoFactorMethod", func(a storage.AuditEntry) error {
			must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), nil))
			return s.RemoveTwoFactorMethod(ctx, u.ID, "AAAA", a)
		}, true},
		{"RemoveTwoFactorMethod missing", func(a storage.AuditEntry) error { return s.RemoveTwoFactorMethod(ctx, u.ID, "AAAA", a) }, false},
		{"RemoveTwoFactorMethods", func(a storage.AuditEntry) error {
			must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "BBBB"), nil))
			return s.RemoveTwoFactorMethods(ctx, u.ID, a)
		}, true},
		{"RemoveTwoFactorMethods none", func(a storage.AuditEntry) error { return s.RemoveTwoFactorMethods(ctx, u.ID, a) }, false},
		{"DeleteApplicationAt", func(a storage.AuditEntry) error { return s.DeleteApplicationAt(ctx, "app2", base, a) }, true},
		{"DeleteApplicationAt missing", func(a storage.AuditEntry) error { return s.DeleteApplicationAt(ctx, "app2", base, a) }, false},
		{"DeleteUserAt", func(a storage.AuditEntry) error { return s.DeleteUserAt(ctx, "u2", base, a) }, true},
		{"DeleteUserAt missing", func(a storage.AuditEntry) error { return s.DeleteUserAt(ctx, "u2", base, a) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.write(e("[" + tc.name + "]"))
			if (err == nil) != tc.ok {
				t.Fatalf("write error %v, want success %v", err, tc.ok)
			}
			_, n, serr := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "[" + tc.name + "]", Limit: 10})
			must(t, serr)
			want := 0
			if tc.ok {
				want = 1
			}
			if n != want {
				t.Fatalf("%d audit entries for %q, want %d", n, tc.name, want)
			}
		})
	}
}
