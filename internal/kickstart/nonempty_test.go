package kickstart_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const (
	defaultTenant = "b54ca84b-aceb-4215-9678-473afdeaabed"
	otherAppID    = "5b3f0c1e-2d4a-4b6c-8e9f-0a1b2c3d4e60"
	otherApp      = `{"method":"POST","url":"/api/application/` + otherAppID + `","body":{"application":{"name":"other"}}}`
)

// counts is what a Kickstart could have written to a store.
type counts struct {
	keys, apps int
	user, done bool
}

func countsOf(t *testing.T, st storage.Storage) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	var err error
	if c.keys, err = st.CountAPIKeys(ctx); err != nil {
		t.Fatal(err)
	}
	for _, inactive := range []bool{false, true} {
		apps, err := st.ListApplications(ctx, inactive)
		if err != nil {
			t.Fatal(err)
		}
		c.apps += len(apps)
	}
	_, err = st.FindUser(ctx, storage.UserFilter{TenantID: defaultTenant, Email: "ada@example.com"})
	c.user = err == nil
	if c.done, err = st.KickstartDone(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKickstartRefusesDatabaseThatHoldsData: as in FusionAuth, a Kickstart
// runs only on a database without users, API keys or applications; on one
// that holds any, start-up stops before the Kickstart writes anything,
// saying what the database holds and what to do. Such data was the dry
// run's blind spot: a clash with it failed the real run part-way. The admin
// console's application does not count.
func TestKickstartRefusesDatabaseThatHoldsData(t *testing.T) {
	ctx := context.Background()
	file := kickstartFile(seedApp, seedUser("correct horse"))
	for _, tt := range []struct {
		name  string
		seed  func(st storage.Storage) error
		holds string
	}{
		{"an API key", func(st storage.Storage) error {
			return st.CreateAPIKey(ctx, storage.APIKey{ID: "0f1a2b3c-0000-4000-8000-0000000000a1", KeyHash: manage.HashAPIKey("an-operator-key-0123456789"),
				InsertInstant: time.Now().UnixMilli()})
		}, "1 API key"},
		{"an application", func(st storage.Storage) error {
			return st.CreateApplication(ctx, storage.Application{ID: otherAppID, TenantID: defaultTenant, Name: "other", Active: true})
		}, "1 application"},
		{"an inactive application", func(st storage.Storage) error {
			return st.CreateApplication(ctx, storage.Application{ID: otherAppID, TenantID: defaultTenant, Name: "other"})
		}, "1 application"},
		// The user clashes with the Kickstart's: before, the dry run passed
		// and the real run failed after creating the key and application.
		{"a user", func(st storage.Storage) error {
			return st.CreateUser(ctx, storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000000b1", TenantID: defaultTenant,
				Email: "ada@example.com", Active: true})
		}, "users"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := sqlstorage.OpenTest(t)
			// The default tenant, as a start without a Kickstart leaves it.
			if err := manage.EnsureDefaults(ctx, store, "http://localhost", time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := tt.seed(store); err != nil {
				t.Fatal(err)
			}
			before := countsOf(t, store)
			_, err := open(t, store, writeFiles(t, map[string]string{"kickstart.json": file}), app.Options{})
			if err == nil {
				t.Fatal("the Kickstart ran on a database that holds data")
			}
			for _, w := range []string{"already holds " + tt.holds, "runs only on an empty database", "nothing was written",
				"start without LATCHKEY_KICKSTART"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if after := countsOf(t, store); after != before {
				t.Errorf("the refused Kickstart wrote: before %+v, after %+v", before, after)
			}
			if _, err := store.GetApplication(ctx, seedAppID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the Kickstart's application was stored: %v", err)
			}
			now := time.Now()
			if ok, err := store.ClaimKickstart(ctx, "probe", now, now.Add(-time.Hour)); err != nil || !ok {
				t.Errorf("claim still held after the refusal: %v %v", ok, err)
			}
		})
	}
	t.Run("the admin console application alone", func(t *testing.T) {
		store := sqlstorage.OpenTest(t)
		if err := manage.EnsureDefaults(ctx, store, "http://localhost", time.Now()); err != nil {
			t.Fatal(err)
		}
		admin := manage.AdminApplication()
		admin.ID = manage.AdminApplicationID
		if err := store.CreateApplication(ctx, admin); err != nil {
			t.Fatal(err)
		}
		if _, err := open(t, store, writeFiles(t, map[string]string{"kickstart.json": file}), app.Options{}); err != nil {
			t.Fatalf("refused: %v", err)
		}
		if _, err := store.GetApplication(ctx, seedAppID); err != nil {
			t.Fatalf("not seeded: %v", err)
		}
	})
}

// failingUsers is the real store with user writes failing (a database
// that broke mid-Kickstart): the dry run, on its own scratch database,
// passes; the real run fails at its first user.
type failingUsers struct{ storage.Storage }

func (failingUsers) CreateAccount(context.Context, storage.NewAccount) error {
	return errors.New("disk I/O error")
}

// TestKickstartFailingPartWayNamesWhatItApplied: a real run that fails
// after its dry run passed stops start-up with an error that names the API
// key and the requests it applied (they stay: requests are not one
// transaction) and what to do. The next start with the Kickstart refuses
// it, writing nothing more; the recovery docs/deploy.md gives works: start
// without the Kickstart and send the remaining requests with its key.
func TestKickstartFailingPartWayNamesWhatItApplied(t *testing.T) {
	ctx := context.Background()
	store := sqlstorage.OpenTest(t)
	path := writeFiles(t, map[string]string{"kickstart.json": kickstartFile(seedApp, seedUser("correct horse"), otherApp)})
	_, err := open(t, failingUsers{store}, path, app.Options{})
	if err == nil {
		t.Fatal("start succeeded")
	}
	for _, w := range []string{"request 2 (POST /api/user/registration) failed with status 500",
		"already applied to the real database", "API key apiKeys[0]", "request 1 (POST /api/application/" + seedAppID + ")",
		"not marked done", "start again from an empty database", "send requests 2 to 3 with apiKeys[0]",
		"start without LATCHKEY_KICKSTART"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "request 3 (") {
		t.Errorf("error names request 3 as applied: %v", err)
	}
	half := countsOf(t, store)
	if half != (counts{keys: 1, apps: 1}) {
		t.Fatalf("after the failure the database holds %+v, want the key and the first application", half)
	}

	// Restarting with the Kickstart (the database has healed) refuses it.
	_, err = open(t, store, path, app.Options{})
	if err == nil || !strings.Contains(err.Error(), "already holds 1 API key, 1 application") {
		t.Fatalf("restart with the Kickstart: %v", err)
	}
	if again := countsOf(t, store); again != half {
		t.Fatalf("the refused restart wrote: %+v, was %+v", again, half)
	}

	// The recovery: start without the Kickstart, send requests 2 and 3
	// with its key.
	in := apptest.Start(t, apptest.Options{Store: store, APIKey: "apptest-key-unused-0123456789"})
	in.APIKey = key
	var rest struct {
		Requests []struct {
			URL  string         `json:"url"`
			Body map[string]any `json:"body"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(kickstartFile(seedUser("correct horse"), otherApp)), &rest); err != nil {
		t.Fatal(err)
	}
	for _, r := range rest.Requests {
		if res, body := in.Do(t, http.MethodPost, r.URL, r.Body); res.StatusCode != 200 {
			t.Fatalf("POST %s with the Kickstart's key: %d %s", r.URL, res.StatusCode, body)
		}
	}
	if _, err := store.GetApplication(ctx, otherAppID); err != nil {
		t.Fatalf("request 3's application: %v", err)
	}
	if c := countsOf(t, store); !c.user || c.apps != 2 {
		t.Fatalf("after the recovery: %+v", c)
	}
}
