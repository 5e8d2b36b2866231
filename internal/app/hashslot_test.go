package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// heldWrite embeds the real store and holds the login write (RecordLogin)
// of one user until released: a login past its hash, waiting on its commit.
type heldWrite struct {
	storage.Storage
	userID  string
	entered chan struct{}
	release chan struct{}
}

func (h *heldWrite) RecordLogin(ctx context.Context, l storage.Login) error {
	if l.UserID == h.userID {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.Storage.RecordLogin(ctx, l)
}

// TestHashSlotFreedWhileLoginCommits: with one hashing slot and no queue,
// a login whose hash has answered and that waits on its write no longer
// holds the slot, so another login is hashed and answered (the ordinary
// failed-login 404) instead of refused 503. A login that still has a rehash
// to compute keeps its slot while it writes: the next login is refused.
func TestHashSlotFreedWhileLoginCommits(t *testing.T) {
	const current = "current@example.test" // hashed at the tenant's factor: no rehash
	for _, tt := range []struct {
		name, held, other string
		want              int
	}{
		{"no rehash due", current, userEmail, http.StatusNotFound},
		{"rehash due", userEmail, current, http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hw := &heldWrite{entered: make(chan struct{}, 1), release: make(chan struct{})}
			r := start(t, app.Options{Limits: server.Limits{HashConcurrency: 1, HashQueue: -1, HashWait: time.Hour}}, nil,
				func(st storage.Storage) storage.Storage { hw.Storage = st; return hw })
			ctx := context.Background()
			t0 := manage.NewDefaultTenant("", time.Now()).PasswordEncryptionConfiguration
			ph, err := password.Hash(context.Background(), userPass, t0.EncryptionScheme, t0.EncryptionSchemeFactor)
			if err != nil {
				t.Fatal(err)
			}
			if err := hw.Storage.CreateUser(ctx, storage.User{ID: uuid.NewString(), TenantID: manage.DefaultTenantID,
				Active: true, Email: current, Verified: true, Password: ph, InsertInstant: time.Now().UnixMilli()}); err != nil {
				t.Fatal(err)
			}
			u, err := hw.Storage.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: tt.held})
			if err != nil {
				t.Fatal(err)
			}
			hw.userID = u.ID
			login := "http://" + r.Addr + "/api/login"
			held := make(chan reply, 1)
			go func() { held <- post(t, login, "application/json", loginBody(tt.held, userPass), r.APIKey) }()
			<-hw.entered
			if res := post(t, login, "application/json", loginBody(tt.other, "wrong"), r.APIKey); res.status != tt.want {
				t.Fatalf("login while another commits: %d %s, want %d", res.status, res.body, tt.want)
			}
			close(hw.release)
			if res := <-held; res.status != http.StatusOK {
				t.Fatalf("held login: %+v", res)
			}
		})
	}
}
