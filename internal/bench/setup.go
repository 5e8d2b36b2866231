package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// created is what a run made on the server, or may have made, to be
// deleted afterwards. The bench chooses each user's and the application's
// id itself and records it before the request that creates it is sent: a
// request whose answer never came (a timeout, a dropped connection) or was
// not a success may still have created it (a 503 from a proxy or a server
// that had committed), and cleanup deletes by id whatever exists. An id
// that cleanup finds absent was never created and is forgotten.
type created struct {
	runID string
	mu    sync.Mutex
	users map[string]bool // id: the creation was answered 200
	appID string
	appOK bool
}

// sending records a user id before its creation is sent.
func (c *created) sending(id string) {
	c.mu.Lock()
	if c.users == nil {
		c.users = map[string]bool{}
	}
	c.users[id] = false
	c.mu.Unlock()
}

// confirm records that id's creation was answered 200.
func (c *created) confirm(id string) {
	c.mu.Lock()
	c.users[id] = true
	c.mu.Unlock()
}

// setupWorkers bounds concurrent user creation: each one hashes a password
// on the server.
const setupWorkers = 4

// setupTimeout is the least time each request that prepares a run may take
// (the run's --timeout when that is longer), and setupBusyWait how long one
// is sent again while the server answers it busy (503 or 429 with a
// Retry-After). Each creates a user or logs one in, which hashes a
// password, and a server just started hashes its first memory-hard
// passwords slowly: argon2id's 19 MiB per hash grow a fresh heap, whose
// every first touch of a page faults, and on the 2-CPU development VM
// creating 4 users at a time with the 10 s default timeout failed against a
// fresh argon2id server in 6 of 7 attempts (docs/performance.md). A
// setup that fails measures nothing; one that waits delays the run only.
const (
	setupTimeout  = 2 * time.Minute
	setupBusyWait = 2 * time.Minute
)

// setupTarget is t for the requests that prepare a run (api.forSetup).
func setupTarget(o Options, t *target) *target {
	s := *t
	s.api = t.api.forSetup(max(o.Timeout, setupTimeout), setupBusyWait)
	return &s
}

// setupBusyNote says how often the server answered setup busy, if it did.
func setupBusyNote(t *target) (string, bool) {
	if t.busy == nil || t.busy.Load() == 0 {
		return "", false
	}
	return fmt.Sprintf("the server answered setup requests busy (503 or 429) %d times: each was sent again after its Retry-After", t.busy.Load()), true
}

// prepare finds or creates the application and the users, fills t's
// application and client secret, and returns one credential per client.
// Everything it creates is recorded in c as soon as it exists, so cleanup
// removes it even when prepare fails halfway or the run is interrupted.
func prepare(ctx context.Context, o Options, run *target, c *created) ([]Credential, error) {
	t := setupTarget(o, run)
	defer func() { run.appID, run.clientSecret = t.appID, t.clientSecret }()
	t.appID, t.clientSecret = o.ApplicationID, o.ClientSecret
	if t.appID == "" && len(o.Users) == 0 {
		app, err := createApplication(ctx, t, c, o.Duration)
		if err != nil {
			return nil, err
		}
		t.appID, t.clientSecret = app.ID, app.OAuth.ClientSecret
	}
	if t.clientSecret == "" && o.usesOAuth() {
		if o.APIKey == "" {
			return nil, errors.New("refresh-oauth needs --client-secret, or --api-key to read it")
		}
		secret, err := t.api.clientSecret(ctx, t.appID)
		if err != nil {
			return nil, fmt.Errorf("read the application's client secret: %w", err)
		}
		t.clientSecret = secret
	}
	if len(o.Users) > 0 {
		creds := make([]Credential, o.Clients)
		for i := range creds {
			creds[i] = o.Users[i%len(o.Users)]
		}
		return creds, nil
	}
	return createUsers(ctx, o.Clients, t, c)
}

// UserLoginID is the login id of the i-th user a run creates: one
// recognisable pattern, so leftovers of a run that could not clean up (a
// killed process) can be found and deleted.
func UserLoginID(runID string, i int) string {
	return fmt.Sprintf("latchkey-bench-%s-%d@example.com", runID, i)
}

// createUsers creates n users registered to t's application, each with its
// own random password, with a few requests at a time.
func createUsers(ctx context.Context, n int, t *target, c *created) ([]Credential, error) {
	creds := make([]Credential, n)
	for i := range creds {
		creds[i] = Credential{UserLoginID(c.runID, i), rand.Text()}
	}
	next := make(chan int)
	errs := make(chan error, setupWorkers)
	var wg sync.WaitGroup
	for range setupWorkers {
		wg.Go(func() {
			for i := range next {
				id := uuid.NewString()
				c.sending(id)
				if err := t.createUser(ctx, id, creds[i], t.appID); err != nil {
					errs <- fmt.Errorf("create test user %s: %w", creds[i].LoginID, err)
					return
				}
				c.confirm(id)
			}
		})
	}
	var err error
feed:
	for i := range creds {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return creds, err
}

// createApplication creates the run's application with an id recorded in c
// before the request is sent.
func createApplication(ctx context.Context, t *target, c *created, run time.Duration) (application, error) {
	id := uuid.NewString()
	c.mu.Lock()
	c.appID = id
	c.mu.Unlock()
	app, err := t.createApplication(ctx, id, "latchkey bench "+c.runID, run)
	if err != nil {
		return app, fmt.Errorf("create the test application: %w", err)
	}
	c.mu.Lock()
	c.appOK = true
	c.mu.Unlock()
	return app, nil
}

// newRunID tells one run's users and application from another's.
func newRunID() string { return strings.ToLower(rand.Text()[:10]) }

// openSessions logs every client in before the measured phase, a few at a
// time: with the OAuth password grant for refresh-oauth (the refresh token
// then belongs to the OAuth client), else with /api/login.
func openSessions(ctx context.Context, o Options, run *target, creds []Credential) ([]*session, error) {
	t := setupTarget(o, run)
	sessions := make([]*session, len(creds))
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, setupWorkers)
	for i, cred := range creds {
		s := &session{cred: cred}
		sessions[i] = s
		if o.Mode == OpLogin {
			continue // a login run needs no session before it starts
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var out outcome
			if o.Mode == OpRefreshOAuth {
				out = t.passwordGrant(ctx, s)
			} else {
				out = t.login(ctx, s)
			}
			if !out.ok() || s.refresh == "" && o.usesRefresh() {
				mu.Lock()
				defer mu.Unlock()
				if firstErr == nil {
					firstErr = fmt.Errorf("log in as %s before the run: %s", cred.LoginID, describe(out, s))
				}
			}
		})
	}
	wg.Wait()
	return sessions, firstErr
}

func describe(o outcome, s *session) string {
	switch {
	case o.err != nil:
		return o.err.Error()
	case !o.ok():
		return fmt.Sprintf("status %d", o.status)
	case s.refresh == "":
		return "no refresh token issued (the application must generate refresh tokens)"
	}
	return "ok"
}

// usesOAuth reports whether the run sends the OAuth refresh grant.
func (o Options) usesOAuth() bool { return o.uses(OpRefreshOAuth) }

// usesRefresh reports whether the run sends refreshes of either kind.
func (o Options) usesRefresh() bool { return o.uses(OpRefreshOAuth) || o.uses(OpRefreshCookie) }

func (o Options) uses(op string) bool {
	if o.Mode == op {
		return true
	}
	mix, _ := parseMix(o.Mix)
	return o.Mode == ModeMixed && slices.ContainsFunc(mix, func(w weight) bool { return w.op == op })
}

// Cleanup is what the run deleted afterwards.
type Cleanup struct {
	UsersDeleted       int      `json:"usersDeleted"`
	ApplicationDeleted bool     `json:"applicationDeleted"`
	Errors             []string `json:"errors,omitempty"`
}

// cleanupTimeout bounds the deletions; they run on a context of their own,
// so an interrupted run still cleans up.
const cleanupTimeout = time.Minute

// cleanup hard-deletes what the run created: the users (with their
// registrations and refresh tokens), then the application. A user or an
// application whose creation was not answered 200 is deleted if it exists;
// when it does not (404), it was never created: c forgets it, and it is
// neither counted nor an error.
func cleanup(ctx context.Context, t *target, c *created) Cleanup {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out Cleanup
	ids := slices.Sorted(maps.Keys(c.users))
	for _, id := range ids {
		err := t.deleteUser(ctx, id)
		if !c.users[id] && errors.Is(err, errNotFound) {
			delete(c.users, id)
			continue
		}
		if err != nil {
			out.Errors = append(out.Errors, fmt.Sprintf("delete user %s: %v", id, err))
			continue
		}
		out.UsersDeleted++
	}
	if c.appID != "" {
		err := t.deleteApplication(ctx, c.appID)
		switch {
		case !c.appOK && errors.Is(err, errNotFound):
			c.appID = ""
		case err != nil:
			out.Errors = append(out.Errors, fmt.Sprintf("delete application %s: %v", c.appID, err))
		default:
			out.ApplicationDeleted = true
		}
	}
	return out
}
