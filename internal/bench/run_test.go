package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The tests start the whole latchkey app in this process (apptest) and run
// the bench against it with small counts. Counts are bounded by Requests,
// never by time, so no assertion depends on the machine's speed.

// startServer starts latchkey with a cheap password hash: the bench's
// counting is under test here, not the hash (1,000 PBKDF2 iterations keep
// logins quick under -race).
func startServer(t *testing.T) *apptest.Instance {
	t.Helper()
	return apptest.Start(t, apptest.Options{Tenant: func(tn *storage.Tenant) {
		tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000
	}})
}

// opts is a run against in with a count bound and a generous time bound.
func opts(in *apptest.Instance, mode string, clients, requests int) Options {
	o := Defaults()
	o.URL, o.Mode, o.Clients, o.Requests = in.URL, mode, clients, requests
	o.APIKey, o.Duration, o.Timeout = in.APIKey, 5*time.Minute, time.Minute
	return o
}

// TestEachModeAgainstLatchkey runs every mode with users and an application
// the bench creates: every request succeeds, the counts add up, every
// refresh rotates (the bench's application uses OneTimeUse), the server
// process is found by its listening port (this test process), and nothing
// the bench created is left on the server.
func TestEachModeAgainstLatchkey(t *testing.T) {
	in := startServer(t)
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			procs := runtime.GOMAXPROCS(0)
			rep, err := Run(context.Background(), opts(in, mode, 3, 30))
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOMAXPROCS(0) != procs || rep.LoadGeneratorProcs == 0 {
				t.Fatalf("GOMAXPROCS %d after the run (%d before), reported %d", runtime.GOMAXPROCS(0), procs, rep.LoadGeneratorProcs)
			}
			if rep.Requests != 30 || rep.OK != 30 || len(rep.Errors) != 0 {
				t.Fatalf("requests %d, ok %d, errors %v %v; want 30 ok", rep.Requests, rep.OK, rep.Errors, rep.ErrorSamples)
			}
			sum := 0
			for op, r := range rep.Operations {
				sum += r.Requests
				if strings.HasPrefix(op, "refresh") && r.Rotations != r.OK {
					t.Errorf("%s: %d rotations for %d refreshes under OneTimeUse", op, r.Rotations, r.OK)
				}
			}
			if sum != rep.Requests || mode != ModeMixed && len(rep.Operations) != 1 {
				t.Errorf("operations %v do not add up to %d requests", rep.Operations, rep.Requests)
			}
			if s := rep.Server; s == nil || s.PID != os.Getpid() || !s.SameProcess || s.FoundBy != "port" || s.RSSBytesAfter <= 0 {
				t.Errorf("server = %+v, notes %v; want this process, found by port", s, rep.Notes)
			}
			// The server shares the bench's process: its CPU is the bench's.
			// The machine's counters advance in ticks (and an idle CPU's
			// lazily), so these runs of a few tens of milliseconds may see
			// none of them move, and the report then has no machine line
			// rather than a made-up one; TestMachineLineOfARunInOneProcess
			// runs long enough to have one.
			if m := rep.Machine; m != nil && (m.CPUs < 1 || m.ServerCPUs != 0) {
				t.Errorf("machine = %+v; want the CPUs counted and no separate server share", m)
			}
			assertCleanedUp(t, in, rep, 3)
		})
	}
}

// TestMachineLineOfARunInOneProcess: a run long enough for the machine's
// CPU counters to move (300 ms, many ticks on every CPU) reports the
// machine's CPUs, and no server share apart from the bench's when the
// server is this process.
func TestMachineLineOfARunInOneProcess(t *testing.T) {
	in := startServer(t)
	o := opts(in, OpValidate, 2, 0)
	o.Duration = 300 * time.Millisecond
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Machine; m == nil || m.CPUs < 1 || m.ServerCPUs != 0 || m.BusyCPUs <= 0 {
		t.Fatalf("machine = %+v after %.3f s; want the CPUs counted, some busy, and no separate server share", m, rep.Seconds)
	}
}

// assertCleanedUp checks the report's cleanup and, on the server, that the
// run's users and application are gone.
func assertCleanedUp(t *testing.T, in *apptest.Instance, rep Report, users int) {
	t.Helper()
	if rep.UsersCreated != users || rep.Cleanup.UsersDeleted != users || rep.ApplicationCreated == "" ||
		!rep.Cleanup.ApplicationDeleted || len(rep.Cleanup.Errors) > 0 {
		t.Fatalf("created %d users and application %q; cleanup %+v", rep.UsersCreated, rep.ApplicationCreated, rep.Cleanup)
	}
	for i := range users {
		if resp, _ := in.Do(t, http.MethodGet, "/api/user?email="+UserLoginID(rep.RunID, i), nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("user %s still there after cleanup: %d", UserLoginID(rep.RunID, i), resp.StatusCode)
		}
	}
	if resp, _ := in.Do(t, http.MethodGet, "/api/application/"+rep.ApplicationCreated, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("application %s still there after cleanup: %d", rep.ApplicationCreated, resp.StatusCode)
	}
}

// world is an application and users the test makes itself, to run the
// bench with existing users and compare its counts with the server's.
type world struct {
	appID, secret string
	users         []Credential
	userIDs       []string
}

func newWorld(t *testing.T, in *apptest.Instance, allowTokenRefresh bool, users int) world {
	t.Helper()
	resp, body := in.Do(t, http.MethodPost, "/api/application", map[string]any{"application": map[string]any{
		"name":               "bench test " + t.Name(),
		"loginConfiguration": map[string]any{"allowTokenRefresh": allowTokenRefresh, "generateRefreshTokens": true, "requireAuthentication": false},
		"jwtConfiguration":   map[string]any{"enabled": true, "timeToLiveInSeconds": 600, "refreshTokenTimeToLiveInMinutes": 60, "refreshTokenUsagePolicy": "OneTimeUse"},
		"oauthConfiguration": map[string]any{"enabledGrants": []string{"password", "refresh_token"}, "generateRefreshTokens": true},
	}})
	var app struct{ Application application }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &app) != nil {
		t.Fatalf("create application: %d %s", resp.StatusCode, body)
	}
	w := world{appID: app.Application.ID, secret: app.Application.OAuth.ClientSecret}
	for i := range users {
		c := Credential{LoginID: UserLoginID("test"+strings.ToLower(newRunID()), i), Password: "correct horse battery"}
		resp, body := in.Do(t, http.MethodPost, "/api/user/registration", map[string]any{
			"user": map[string]any{"email": c.LoginID, "password": c.Password}, "registration": map[string]any{"applicationId": w.appID}})
		var u struct{ User struct{ ID string } }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &u) != nil {
			t.Fatalf("create user: %d %s", resp.StatusCode, body)
		}
		w.users, w.userIDs = append(w.users, c), append(w.userIDs, u.User.ID)
	}
	return w
}

// tokens lists the users' refresh tokens on the server, and the sum of
// their generations: each successful rotation adds one.
func (w world) tokens(t *testing.T, in *apptest.Instance) (n, rotations int) {
	t.Helper()
	for _, id := range w.userIDs {
		list, err := in.Store.ListRefreshTokens(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, rt := range list {
			n, rotations = n+1, rotations+rt.Generation
		}
	}
	return n, rotations
}

// TestRefreshCountsMatchTheServer: with existing users, the rotations the
// bench reports are the rotations the server stored, one session per
// client; the users are the test's and stay.
func TestRefreshCountsMatchTheServer(t *testing.T) {
	in := startServer(t)
	for _, mode := range []string{OpRefreshCookie, OpRefreshOAuth} {
		t.Run(mode, func(t *testing.T) {
			w := newWorld(t, in, true, 2)
			o := opts(in, mode, 4, 40) // two sessions per user
			o.APIKey, o.Users, o.ApplicationID, o.ClientSecret = "", w.users, w.appID, w.secret
			before, _ := w.tokens(t, in) // registering opened a session each
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			sessions, rotations := w.tokens(t, in)
			if sessions -= before; rep.OK != 40 || rep.Rotations != 40 || rotations != rep.Rotations || sessions != 4 {
				t.Fatalf("bench: %d ok, %d rotations; server: %d sessions, %d rotations; want 40 each, 4 sessions", rep.OK, rep.Rotations, sessions, rotations)
			}
			if rep.UsersCreated != 0 || rep.ApplicationCreated != "" || rep.Cleanup.UsersDeleted != 0 {
				t.Fatalf("touched existing users: %+v", rep.Cleanup)
			}
			if resp, _ := in.Do(t, http.MethodGet, "/api/user/"+w.userIDs[0], nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("existing user gone: %d", resp.StatusCode)
			}
		})
	}
}

// TestLoginCountsMatchTheServer: each successful login opens one session
// on the server.
func TestLoginCountsMatchTheServer(t *testing.T) {
	in := startServer(t)
	w := newWorld(t, in, true, 1)
	o := opts(in, OpLogin, 2, 12)
	o.APIKey, o.Users, o.ApplicationID = "", w.users, w.appID
	before, _ := w.tokens(t, in)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sessions, _ := w.tokens(t, in); rep.OK != 12 || sessions-before != rep.OK {
		t.Fatalf("bench: %d successful logins; server: %d sessions", rep.OK, sessions)
	}
}

// TestRefusalsCountedByStatus: what the server refuses is counted by its
// status, and the server indeed changed nothing.
func TestRefusalsCountedByStatus(t *testing.T) {
	in := startServer(t)
	t.Run("refresh not allowed", func(t *testing.T) {
		w := newWorld(t, in, false, 1) // allowTokenRefresh off: /api/jwt/refresh is refused
		o := opts(in, OpRefreshCookie, 2, 10)
		o.APIKey, o.Users, o.ApplicationID = "", w.users, w.appID
		before, _ := w.tokens(t, in)
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		assertAllRefused(t, rep, 10)
		if sessions, rotations := w.tokens(t, in); sessions-before != 2 || rotations != 0 {
			t.Fatalf("server: %d sessions, %d rotations; want the 2 logins, no rotation", sessions, rotations)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		w := newWorld(t, in, true, 1)
		o := opts(in, OpLogin, 1, 8)
		o.APIKey, o.Users, o.ApplicationID = "", []Credential{{w.users[0].LoginID, "not the password"}}, w.appID
		before, _ := w.tokens(t, in)
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		assertAllRefused(t, rep, 8)
		if rep.Errors["404"] == 0 {
			t.Errorf("errors %v: the first wrong passwords are 404 (fusionauth-api.md §1.3)", rep.Errors)
		}
		if sessions, _ := w.tokens(t, in); sessions != before {
			t.Fatalf("server: %d sessions after refused logins", sessions)
		}
	})
}

// TestRateLimitedRunSaysHowToLiftTheLimit: a target whose per-address
// limit refuses the bench's logins counts them as 429 and the report says
// which setting lifts the limit, so a sizing run is not mistaken for the
// server's capacity.
func TestRateLimitedRunSaysHowToLiftTheLimit(t *testing.T) {
	in := apptest.Start(t, apptest.Options{
		Tenant: func(tn *storage.Tenant) { tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000 },
		Config: func(c *config.Config) { c.RateLimits = "login=2/1m" },
	})
	w := newWorld(t, in, true, 1)
	o := opts(in, OpLogin, 1, 5)
	o.APIKey, o.Users, o.ApplicationID = "", w.users, w.appID
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 2 || rep.Errors["429"] != 3 {
		t.Fatalf("ok %d, errors %v; want 2 logins and 3 refused 429", rep.OK, rep.Errors)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "LATCHKEY_RATE_LIMITS=") }) {
		t.Fatalf("notes %q do not say how to lift the rate limit", rep.Notes)
	}
}

func assertAllRefused(t *testing.T, rep Report, n int) {
	t.Helper()
	refused := 0
	for class, c := range rep.Errors {
		if len(class) != 3 || class[0] != '4' || rep.ErrorSamples[class] == "" {
			t.Errorf("error class %q (%d), sample %q: want a 4xx status with its answer", class, c, rep.ErrorSamples[class])
		}
		refused += c
	}
	if rep.Requests != n || rep.OK != 0 || refused != n {
		t.Fatalf("requests %d, ok %d, errors %v; want %d refused", rep.Requests, rep.OK, rep.Errors, n)
	}
}

// TestOpenLoop sends a fixed number of requests on a schedule.
func TestOpenLoop(t *testing.T) {
	in := startServer(t)
	o := opts(in, OpValidate, 2, 20)
	o.Rate = 200
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loop != "open" || rep.Requests != 20 || rep.OK != 20 || rep.Unsent != 0 {
		t.Fatalf("loop %s: %d requests, %d ok, %d unsent; want 20 sent and ok", rep.Loop, rep.Requests, rep.OK, rep.Unsent)
	}
	assertCleanedUp(t, in, rep, 2)
}

// TestInterruptCleansUp: Ctrl-C (a cancelled context) mid-run stops the
// load and still deletes what the run created.
func TestInterruptCleansUp(t *testing.T) {
	in := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := opts(in, OpValidate, 2, 0) // no count bound: only the interrupt ends it
	o.Progress = func(s Status) {
		if s.Done > 0 {
			cancel()
		}
	}
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.Requests == 0 {
		t.Fatalf("interrupted %v after %d requests", rep.Interrupted, rep.Requests)
	}
	assertCleanedUp(t, in, rep, 2)
}

// TestRemoteTargetRefused: nothing but loopback without --allow-remote, and
// the refusal comes before any request or user creation.
func TestRemoteTargetRefused(t *testing.T) {
	for _, url := range []string{"http://192.0.2.10:9011", "http://[2001:db8::1]:9011", "http://0.0.0.0:9011"} {
		o := Defaults()
		o.URL, o.APIKey = url, "k"
		rep, err := Run(context.Background(), o)
		if !errors.Is(err, ErrRemote) || rep.UsersCreated != 0 {
			t.Errorf("%s: err = %v, created %d users; want ErrRemote", url, err, rep.UsersCreated)
		}
	}
}

// TestWarmupIsNotCounted: a warm-up runs the same load first and is left
// out of the figures: the count bound applies to the measured phase alone,
// and the report says how long the warm-up ran and what it sent. (The
// warm-up's 2 s only has to let each client start one validation.)
func TestWarmupIsNotCounted(t *testing.T) {
	in := startServer(t)
	o := opts(in, OpValidate, 3, 30)
	o.Warmup = 2 * time.Second
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 30 || rep.OK != 30 {
		t.Fatalf("measured %d requests (%d ok); want the 30 of the count bound, the warm-up's not among them", rep.Requests, rep.OK)
	}
	if rep.WarmupRequests < 3 || rep.WarmupSeconds < 2 {
		t.Fatalf("warm-up %d requests in %.2f s; want every client's requests over 2 s", rep.WarmupRequests, rep.WarmupSeconds)
	}
	var text strings.Builder
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "warm-up") || !strings.Contains(text.String(), "not counted") {
		t.Fatalf("the report does not mention the warm-up:\n%s", text.String())
	}
	assertCleanedUp(t, in, rep, 3)
}
