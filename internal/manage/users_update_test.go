package manage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginsBeforeWrite is the real store where a login of the user (its
// lastLoginInstant, and its registration's) commits between an update's
// read and its write, the first logins times (-1: every time).
type loginsBeforeWrite struct {
	storage.Storage
	appID  string
	logins int
	at     int64
}

func (s *loginsBeforeWrite) login(ctx context.Context, userID string) error {
	if s.logins == 0 {
		return nil
	}
	s.logins--
	s.at++
	return s.Storage.RecordLogin(ctx, storage.Login{UserID: userID, ApplicationID: s.appID, At: s.at})
}

func (s *loginsBeforeWrite) ChangeUser(ctx context.Context, c storage.UserChange) error {
	if err := s.login(ctx, c.UserID); err != nil {
		return err
	}
	return s.Storage.ChangeUser(ctx, c)
}

func (s *loginsBeforeWrite) UpdateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error {
	if err := s.login(ctx, r.UserID); err != nil {
		return err
	}
	return s.Storage.UpdateRegistration(ctx, r, audit...)
}

// registeredUser stores a user registered to a new application and returns
// the application's id.
func registeredUser(t *testing.T, st storage.Storage, id string) string {
	t.Helper()
	ctx := context.Background()
	a := manage.ApplicationDefaults()
	a.Name = "Store"
	app, err := (&manage.Applications{Store: st, Cache: forgetNothing{}, Now: clock}).Create(ctx, "", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, storage.User{ID: id, TenantID: manage.DefaultTenantID, Active: true, Email: "ada@example.test",
		InsertInstant: now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRegistration(ctx, storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c9", UserID: id,
		ApplicationID: app.ID, Roles: []string{}}); err != nil {
		t.Fatal(err)
	}
	return app.ID
}

// TestUpdateKeepsALoginBetweenReadAndWrite: an update (PUT or PATCH of a
// user or of a registration) whose read came before a login's write
// applies its change to the user as the login left it: the lastLoginInstant
// the login wrote stays (it was written back from the stale read before),
// and the change is applied again to what was read again.
func TestUpdateKeepsALoginBetweenReadAndWrite(t *testing.T) {
	const id = "0f1a2b3c-0000-4000-8000-0000000000b9"
	ctx := context.Background()
	base := openStore(t)
	appID := registeredUser(t, base, id)
	st := &loginsBeforeWrite{Storage: base, appID: appID, logins: 1, at: now.UnixMilli() + 1000}
	users := &manage.Users{Store: st, Now: clock}
	regs := &manage.Registrations{Store: st, Users: users, Now: clock}

	applied := 0
	if _, err := users.Update(ctx, manage.Scope{}, id, func(cur storage.User) (manage.UserInput, error) {
		applied++
		cur.FirstName = "Augusta"
		return manage.UserInput{User: cur}, nil
	}); err != nil {
		t.Fatal(err)
	}
	u, err := base.GetUser(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "Augusta" || u.LastLoginInstant != st.at || applied != 2 {
		t.Fatalf("user firstName %q lastLoginInstant %d (the login wrote %d), change applied %d times; want Augusta, the login's, 2",
			u.FirstName, u.LastLoginInstant, st.at, applied)
	}

	st.logins, applied = 1, 0
	if _, err := regs.Update(ctx, manage.Scope{}, id, appID, func(cur storage.Registration) (storage.Registration, error) {
		applied++
		cur.Data = map[string]any{"k": "v"}
		return cur, nil
	}); err != nil {
		t.Fatal(err)
	}
	r, err := base.GetRegistration(ctx, id, appID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Data["k"] != "v" || r.LastLoginInstant != st.at || applied != 2 {
		t.Fatalf("registration data %v lastLoginInstant %d (the login wrote %d), change applied %d times", r.Data, r.LastLoginInstant, st.at, applied)
	}
}

// TestUpdateThatAlwaysLosesIsContended: when another write lands between
// every try's read and its write, Update gives up with ErrContended (409
// [ConcurrentModification]) and nothing of it is written.
func TestUpdateThatAlwaysLosesIsContended(t *testing.T) {
	const id = "0f1a2b3c-0000-4000-8000-0000000000b9"
	ctx := context.Background()
	base := openStore(t)
	appID := registeredUser(t, base, id)
	st := &loginsBeforeWrite{Storage: base, appID: appID, logins: -1, at: now.UnixMilli() + 1000}
	users := &manage.Users{Store: st, Now: clock}
	regs := &manage.Registrations{Store: st, Users: users, Now: clock}
	if _, err := users.Update(ctx, manage.Scope{}, id, func(cur storage.User) (manage.UserInput, error) {
		cur.FirstName = "Augusta"
		return manage.UserInput{User: cur}, nil
	}); !errors.Is(err, manage.ErrContended) {
		t.Fatalf("user update: %v, want ErrContended", err)
	}
	if _, err := regs.Update(ctx, manage.Scope{}, id, appID, func(cur storage.Registration) (storage.Registration, error) {
		cur.Data = map[string]any{"k": "v"}
		return cur, nil
	}); !errors.Is(err, manage.ErrContended) {
		t.Fatalf("registration update: %v, want ErrContended", err)
	}
	u, err := base.GetUser(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := base.GetRegistration(ctx, id, appID)
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "" || r.Data["k"] != nil {
		t.Fatalf("a contended update wrote: firstName %q, registration data %v", u.FirstName, r.Data)
	}
}
