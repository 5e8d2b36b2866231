package manage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// seedUser stores a user with one live session and returns them.
func seedUser(t *testing.T, st storage.Storage, id, email string) storage.User {
	t.Helper()
	ctx := context.Background()
	u := storage.User{ID: id, TenantID: manage.DefaultTenantID, Active: true, Email: email, Verified: true,
		Password: storage.PasswordHash{Scheme: "salted-pbkdf2-hmac-sha256", Factor: 1000, Salt: "c2FsdA==", Hash: "aGFzaA=="}}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRefreshToken(ctx, storage.RefreshToken{ID: id + "-t", TenantID: u.TenantID, UserID: id, Hash: []byte(id),
		StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), AuthTime: now, InsertedAt: now}); err != nil {
		t.Fatal(err)
	}
	return u
}

// failingChange is the real store whose ChangeUser fails: a fault at
// commit (a lost connection, a full disk).
type failingChange struct{ storage.Storage }

var errCommit = errors.New("commit failed")

func (failingChange) ChangeUser(context.Context, storage.UserChange) error { return errCommit }

// TestDeactivateIsOneWrite (adversarial, issue 15): deactivation and the
// revocation of the user's sessions are one storage call, so when it fails
// nothing happened — the user is still active and no session was revoked
// on its own — and when it succeeds both did.
func TestDeactivateIsOneWrite(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	u := seedUser(t, st, "0f1a2b3c-0000-4000-8000-0000000000d1", "dee@example.test")
	broken := manage.New(failingChange{st}, nil, clock)
	if err := broken.Users.Deactivate(ctx, manage.Scope{}, u.ID); !errors.Is(err, errCommit) {
		t.Fatalf("deactivate with a failing write: %v", err)
	}
	got, err := st.GetUser(ctx, u.ID)
	if err != nil || !got.Active {
		t.Fatalf("user after a failed deactivation: %+v, %v", got, err)
	}
	if live, _ := st.ListRefreshTokens(ctx, u.ID); len(live) != 1 {
		t.Fatalf("%d live sessions after a failed deactivation, want 1", len(live))
	}
	if err := manage.New(st, nil, clock).Users.Deactivate(ctx, manage.Scope{}, u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetUser(ctx, u.ID)
	if live, _ := st.ListRefreshTokens(ctx, u.ID); got.Active || len(live) != 0 {
		t.Fatalf("after deactivation: active %v, %d live sessions", got.Active, len(live))
	}
}

// TestForgotPasswordJobs (L2): a keyless request stores one job and looks
// nothing up, whatever the login id names; the job then issues a
// changePasswordId with its mail for an account and nothing at all for an
// unknown id.
func TestForgotPasswordJobs(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	u := seedUser(t, st, "0f1a2b3c-0000-4000-8000-0000000000d2", "jo@example.test")
	m := manage.New(st, nil, clock)
	for _, login := range []string{u.Email, "nobody@example.test"} {
		id, err := m.Accounts.ForgotPassword(ctx, manage.Scope{}, manage.ForgotPassword{LoginID: login})
		if err != nil || id != "" {
			t.Fatalf("keyless forgot password for %s: %q, %v", login, id, err)
		}
	}
	jobs, err := st.ClaimOutbox(ctx, storage.OutboxClaim{Queue: manage.JobQueue, Owner: "test", Now: now, LeaseUntil: now.Add(time.Minute), Limit: 10})
	if err != nil || len(jobs) != 2 {
		t.Fatalf("jobs = %d, %v; want one per request", len(jobs), err)
	}
	if mail, _ := st.OutboxDepth(ctx, "mail"); mail.Pending != 0 {
		t.Fatalf("a keyless request queued mail itself: %+v", mail)
	}
	for _, j := range jobs {
		if err := m.Accounts.RunJob(ctx, j); err != nil {
			t.Fatalf("job: %v", err)
		}
	}
	mail, err := st.ListOutbox(ctx, storage.OutboxFilter{Queue: "mail"})
	if err != nil || len(mail) != 1 || mail[0].TenantID != manage.DefaultTenantID {
		t.Fatalf("mail after the jobs: %+v, %v; want one, for the account", mail, err)
	}
}
