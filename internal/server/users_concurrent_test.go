package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// concurrentPatches sends n PATCHes to path at once (the goroutines are
// released together), the i-th setting data key k<i> to i, and fails
// unless every one is answered 200.
func concurrentPatches(t *testing.T, s *stack, n int, path, record string) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{%q:{"data":{"k%d":%d}}}`, record, i, i)
			req, err := http.NewRequest("PATCH", s.URL+path, strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", apiKey)
			<-start
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 {
				errs <- fmt.Errorf("PATCH k%d: %d %s", i, res.StatusCode, b)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// wantAllKeys fails unless data holds k0..k<n-1>, each with its own value.
func wantAllKeys(t *testing.T, what string, data map[string]any, n int) {
	t.Helper()
	var missing []string
	for i := range n {
		if v, ok := data[fmt.Sprintf("k%d", i)]; !ok || v != float64(i) {
			missing = append(missing, fmt.Sprintf("k%d", i))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s: %d of %d acknowledged PATCHes lost (%v); data = %v", what, len(missing), n, missing, data)
	}
}

// TestConcurrentUserPatchesAllApply: 30 PATCHes of one user, each adding
// its own key to data, sent at once, are all answered 200 and all applied:
// an update that lost the race to another write of the user reads the user
// again and applies its change to that (optimistic revisions,
// docs/decisions.md), instead of writing back the document it read before.
// A login's lastLoginInstant written between is kept too. On PostgreSQL
// when LATCHKEY_TEST_POSTGRES_DSN is set.
func TestConcurrentUserPatchesAllApply(t *testing.T) {
	const n = 30
	s := newStack(t)
	if res := s.login(storeApp, nil); res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	concurrentPatches(t, s, n, "/api/user/"+aliceID, "user")
	res := s.do(call{method: "GET", path: "/api/user/" + aliceID, hdr: map[string]string{"Authorization": apiKey}})
	if res.status != 200 {
		t.Fatalf("GET user: %d %s", res.status, res.body)
	}
	u := res.json(t)["user"].(map[string]any)
	data, _ := u["data"].(map[string]any)
	wantAllKeys(t, "user.data", data, n)
	if u["lastLoginInstant"] == nil {
		t.Fatalf("lastLoginInstant lost: %v", u)
	}
}

// TestConcurrentRegistrationPatchesAllApply is
// TestConcurrentUserPatchesAllApply for PATCH
// /api/user/registration/{userId}/{applicationId}.
func TestConcurrentRegistrationPatchesAllApply(t *testing.T) {
	const n = 30
	s := newStack(t)
	path := "/api/user/registration/" + aliceID + "/" + storeApp
	concurrentPatches(t, s, n, path, "registration")
	res := s.do(call{method: "GET", path: path, hdr: map[string]string{"Authorization": apiKey}})
	if res.status != 200 {
		t.Fatalf("GET registration: %d %s", res.status, res.body)
	}
	data, _ := res.json(t)["registration"].(map[string]any)["data"].(map[string]any)
	wantAllKeys(t, "registration.data", data, n)
}

// deletedUnderWrite is the real store where the record a management write
// targets is hard-deleted just before the write: the deletion that
// commits between the write's read and its commit.
type deletedUnderWrite struct {
	storage.Storage
}

func (s *deletedUnderWrite) ChangeUser(ctx context.Context, c storage.UserChange) error {
	if c.Replace != nil || c.Register != nil {
		if err := s.Storage.DeleteUser(ctx, c.UserID); err != nil {
			return err
		}
	}
	return s.Storage.ChangeUser(ctx, c)
}

func (s *deletedUnderWrite) UpdateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error {
	if err := s.Storage.DeleteRegistration(ctx, r.UserID, r.ApplicationID); err != nil {
		return err
	}
	return s.Storage.UpdateRegistration(ctx, r, audit...)
}

// TestWriteRacingDeleteIsNotFound: a write whose target is deleted after
// the write read it (a hard delete of the user, the registration's
// delete) is the caller's 404, as if the delete had come first, not a 500;
// and it brings nothing back.
func TestWriteRacingDeleteIsNotFound(t *testing.T) {
	admin := map[string]string{"Authorization": apiKey}
	for _, tc := range []struct {
		name, method, path, body string
		gone                     string // a GET that must then be 404
	}{
		{"PATCH user", "PATCH", "/api/user/" + aliceID, `{"user":{"data":{"k":1}}}`, "/api/user/" + aliceID},
		{"PUT user", "PUT", "/api/user/" + aliceID, `{"user":{"email":"` + aliceEmail + `","firstName":"Al"}}`, "/api/user/" + aliceID},
		{"POST registration", "POST", "/api/user/registration/" + aliceID, `{"registration":{"applicationId":"` + forumsApp + `"}}`,
			"/api/user/" + aliceID},
		{"PUT registration", "PUT", "/api/user/registration/" + aliceID + "/" + storeApp, `{"registration":{"roles":["user"],"data":{"k":1}}}`,
			"/api/user/registration/" + aliceID + "/" + storeApp},
		{"PATCH registration", "PATCH", "/api/user/registration/" + aliceID + "/" + storeApp, `{"registration":{"data":{"k":1}}}`,
			"/api/user/registration/" + aliceID + "/" + storeApp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := buildStack(t, stackOpts{store: &deletedUnderWrite{Storage: sqlstorage.OpenTest(t)}})
			if res := s.do(call{method: tc.method, path: tc.path, body: tc.body, hdr: admin}); res.status != 404 {
				t.Fatalf("%s %s racing a delete: %d %s, want 404", tc.method, tc.path, res.status, res.body)
			}
			if res := s.do(call{method: "GET", path: tc.gone, hdr: admin}); res.status != 404 {
				t.Fatalf("GET %s after the refused write: %d %s, want 404", tc.gone, res.status, res.body)
			}
		})
	}
}

// blindPrecheck is the real store whose FindUser finds nobody: the
// management API's check that an email or username is free passes, as it
// does when another request takes the value between that check and the
// write; the database's unique index then refuses the write.
type blindPrecheck struct {
	storage.Storage
}

func (blindPrecheck) FindUser(context.Context, storage.UserFilter) (storage.User, error) {
	return storage.User{}, storage.ErrNotFound
}

// TestKeyTakenInARaceNamesTheField: a username or email taken by another
// user and caught only by the database (the race the pre-check cannot
// see) is reported on the field that collided, [duplicate]user.username or
// [duplicate]user.email, on update and on create; nothing is written.
func TestKeyTakenInARaceNamesTheField(t *testing.T) {
	admin := map[string]string{"Authorization": apiKey}
	const bobID = "0f1a2b3c-0000-4000-8000-0000000000b2"
	const carolID = "0f1a2b3c-0000-4000-8000-0000000000b3"
	s := buildStack(t, stackOpts{store: blindPrecheck{Storage: sqlstorage.OpenTest(t)}})
	if res := s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
		body: `{"user":{"email":"bob@example.test","username":"bob","password":"bob's long password"}}`}); res.status != 200 {
		t.Fatalf("create bob: %d %s", res.status, res.body)
	}
	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"PUT username", "PUT", "/api/user/" + bobID, `{"user":{"email":"bob@example.test","username":"alice"}}`, "user.username"},
		{"PATCH username", "PATCH", "/api/user/" + bobID, `{"user":{"username":"alice"}}`, "user.username"},
		{"PATCH email", "PATCH", "/api/user/" + bobID, `{"user":{"email":"` + aliceEmail + `"}}`, "user.email"},
		{"create username", "POST", "/api/user/" + carolID,
			`{"user":{"email":"carol@example.test","username":"alice","password":"carol's long password"}}`, "user.username"},
		{"create email", "POST", "/api/user/" + carolID,
			`{"user":{"email":"` + aliceEmail + `","username":"carol","password":"carol's long password"}}`, "user.email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: tc.method, path: tc.path, body: tc.body, hdr: admin})
			if res.status != 400 {
				t.Fatalf("%d %s, want 400", res.status, res.body)
			}
			fe, _ := res.json(t)["fieldErrors"].(map[string]any)
			errs, _ := fe[tc.want].([]any)
			if len(fe) != 1 || len(errs) != 1 || errs[0].(map[string]any)["code"] != "[duplicate]"+tc.want {
				t.Fatalf("fieldErrors = %v, want only [duplicate]%s", fe, tc.want)
			}
		})
	}
	bob := s.do(call{method: "GET", path: "/api/user/" + bobID, hdr: admin}).json(t)["user"].(map[string]any)
	if bob["username"] != "bob" || bob["email"] != "bob@example.test" {
		t.Fatalf("bob after the refused updates: %v", bob)
	}
	if res := s.do(call{method: "GET", path: "/api/user/" + carolID, hdr: admin}); res.status != 404 {
		t.Fatalf("a refused create stored carol: %d %s", res.status, res.body)
	}
}

// loginBeforeWrite is the real store where a login of the user commits
// between the first update's read and its write.
type loginBeforeWrite struct {
	storage.Storage
	once sync.Once
}

func (s *loginBeforeWrite) ChangeUser(ctx context.Context, c storage.UserChange) error {
	var err error
	s.once.Do(func() { err = s.Storage.RecordLogin(ctx, storage.Login{UserID: c.UserID, At: 1_900_000_000_000}) })
	if err != nil {
		return err
	}
	return s.Storage.ChangeUser(ctx, c)
}

// TestPatchAppliedAgainAfterALostTry: a PATCH whose first try lost to a
// login is decoded again from the same body for its second try (the body
// is read once from the connection), and both the PATCH and the login's
// lastLoginInstant are kept.
func TestPatchAppliedAgainAfterALostTry(t *testing.T) {
	admin := map[string]string{"Authorization": apiKey}
	s := buildStack(t, stackOpts{store: &loginBeforeWrite{Storage: sqlstorage.OpenTest(t)}})
	if res := s.do(call{method: "PATCH", path: "/api/user/" + aliceID, body: `{"user":{"data":{"k":1}}}`, hdr: admin}); res.status != 200 {
		t.Fatalf("PATCH: %d %s", res.status, res.body)
	}
	u := s.do(call{method: "GET", path: "/api/user/" + aliceID, hdr: admin}).json(t)["user"].(map[string]any)
	if data, _ := u["data"].(map[string]any); data["k"] != float64(1) || u["lastLoginInstant"] != float64(1_900_000_000_000) {
		t.Fatalf("user after the PATCH: %v", u)
	}
}
