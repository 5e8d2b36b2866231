package auth

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// rolesClaim is the access token's roles, sorted.
func (e *env) rolesClaim(token string) []string {
	e.t.Helper()
	var names []string
	for _, r := range e.claims(token)["roles"].([]any) {
		names = append(names, r.(string))
	}
	slices.Sort(names)
	return names
}

// TestGroupRolesInTokens: the roles claim is the union of the registration's
// roles and those the user's groups grant in the application (groups.mdx,
// FusionAuth issue #1473), on login, refresh and the tokens of a
// registration; a group's roles of another application, or of a deleted
// role, are not given; leaving the group takes its roles away at the next
// refresh, like a registration change (security-bar R12).
func TestGroupRolesInTokens(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	must(t, e.store.CreateGroup(ctx, storage.Group{ID: "g-admins", TenantID: tenantID, Name: "Admins",
		Roles: []storage.GroupRole{{ApplicationID: appID, RoleID: "r2"}, {ApplicationID: appID, RoleID: "r-gone"},
			{ApplicationID: otherApp, RoleID: "r2"}}}))
	must(t, e.store.CreateGroup(ctx, storage.Group{ID: "g-users", TenantID: tenantID, Name: "Users",
		Roles: []storage.GroupRole{{ApplicationID: appID, RoleID: "r1"}}}))
	_, err := e.store.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m1", GroupID: "g-admins", UserID: userID},
		{ID: "m2", GroupID: "g-users", UserID: userID}}, nil)
	must(t, err)

	login := e.login()
	if got := e.rolesClaim(login.AccessToken); !slices.Equal(got, []string{"admin", "user"}) {
		t.Fatalf("login roles = %v, want [admin user] (user once, from both)", got)
	}
	e.clock.Advance(time.Minute)
	r1, err := e.refresh(login.RefreshToken)
	must(t, err)
	if got := e.rolesClaim(r1.AccessToken); !slices.Equal(got, []string{"admin", "user"}) {
		t.Fatalf("refresh roles = %v", got)
	}
	_, err = e.store.DeleteGroupMembers(ctx, storage.GroupMemberFilter{IDs: []string{"m1"}})
	must(t, err)
	e.clock.Advance(time.Minute)
	r2, err := e.refresh(r1.RefreshToken)
	must(t, err)
	if got := e.rolesClaim(r2.AccessToken); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("after leaving the group, roles = %v, want [user]", got)
	}
	tok, err := e.svc.Issue(ctx, IssueRequest{UserID: userID, ApplicationID: appID, AuthenticationType: AuthRegistration})
	must(t, err)
	if got := e.rolesClaim(tok.AccessToken); !slices.Equal(got, []string{"user"}) {
		t.Fatalf("registration token roles = %v", got)
	}
}

// TestGroupRolesFollowTheApplicationCache: which groups grant roles in an
// application is cached with it; a change applies at once after this node
// forgets the application (what the group API does), and a user's
// membership is read on every refresh.
func TestGroupRolesFollowTheApplicationCache(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	login := e.login() // caches "no group grants roles in the application"
	must(t, e.store.CreateGroup(ctx, storage.Group{ID: "g1", TenantID: tenantID, Name: "Admins",
		Roles: []storage.GroupRole{{ApplicationID: appID, RoleID: "r2"}}}))
	_, err := e.store.SaveGroupMembers(ctx, []storage.GroupMember{{ID: "m1", GroupID: "g1", UserID: userID}}, nil)
	must(t, err)
	e.svc.ForgetApplication(appID)
	r, err := e.refresh(login.RefreshToken)
	must(t, err)
	if got := e.rolesClaim(r.AccessToken); !slices.Equal(got, []string{"admin", "user"}) {
		t.Fatalf("after the group change, roles = %v", got)
	}
}

// writeCounter counts the writes auth makes through its store.
type writeCounter struct {
	storage.Storage
	writes []string
}

func (w *writeCounter) RecordLogin(ctx context.Context, l storage.Login) error {
	w.writes = append(w.writes, "RecordLogin")
	return w.Storage.RecordLogin(ctx, l)
}
func (w *writeCounter) UndoLogin(ctx context.Context, u storage.LoginUndo) (storage.LoginFailures, error) {
	w.writes = append(w.writes, "UndoLogin")
	return w.Storage.UndoLogin(ctx, u)
}
func (w *writeCounter) CreateRefreshToken(ctx context.Context, t storage.RefreshToken) error {
	w.writes = append(w.writes, "CreateRefreshToken")
	return w.Storage.CreateRefreshToken(ctx, t)
}
func (w *writeCounter) UpdateUser(ctx context.Context, u storage.User, a ...storage.AuditEntry) error {
	w.writes = append(w.writes, "UpdateUser")
	return w.Storage.UpdateUser(ctx, u, a...)
}
func (w *writeCounter) ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, cs []storage.LoginCounter) (storage.LoginReservation, error) {
	w.writes = append(w.writes, "ReserveLoginAttempt")
	return w.Storage.ReserveLoginAttempt(ctx, at, heldUntil, cs)
}
func (w *writeCounter) RecordLoginFailure(ctx context.Context, id string, at time.Time, p storage.LockoutPolicy) (storage.LoginFailures, error) {
	w.writes = append(w.writes, "RecordLoginFailure")
	return w.Storage.RecordLoginFailure(ctx, id, at, p)
}

// TestLoginRecordRidesInTheLoginWrite: a successful login leaves its record
// (application, IP address, the login id as typed) and still makes one
// write after its reservation, RecordLogin, with or without a JWT.
func TestLoginRecordRidesInTheLoginWrite(t *testing.T) {
	for _, noJWT := range []bool{false, true} {
		e := newEnv(t)
		w := &writeCounter{Storage: e.store}
		e.svc.cfg.Store = w
		_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: "ALICE@example.test", Password: goodPass, ApplicationID: appID,
			IPAddress: "198.51.100.7", NoJWT: noJWT})
		must(t, err)
		if !slices.Equal(w.writes, []string{"ReserveLoginAttempt", "RecordLogin"}) {
			t.Fatalf("noJWT %v: writes %v, want the reservation and one RecordLogin", noJWT, w.writes)
		}
		recs, _, err := e.store.ListLoginRecords(e.ctx, storage.LoginRecordFilter{UserID: userID, Limit: 10})
		must(t, err)
		want := storage.LoginRecord{ID: recs[0].ID, UserID: userID, TenantID: tenantID, ApplicationID: appID,
			Instant: e.clock.Now().UnixMilli(), IPAddress: "198.51.100.7", LoginID: "ALICE@example.test"}
		if len(recs) != 1 || recs[0] != want {
			t.Fatalf("noJWT %v: records %+v, want %+v", noJWT, recs, want)
		}
	}
}
