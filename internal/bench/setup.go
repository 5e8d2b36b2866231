package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// created is what a run made on the server, to be deleted afterwards.
type created struct {
	runID string
	mu    sync.Mutex
	users []string
	appID string
}

func (c *created) addUser(id string) {
	c.mu.Lock()
	c.users = append(c.users, id)
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
		app, err := t.createApplication(ctx, "latchkey bench "+c.runID, o.Duration)
		if err != nil {
			return nil, fmt.Errorf("create the test application: %w", err)
		}
		c.appID, t.appID, t.clientSecret = app.ID, app.ID, app.OAuth.ClientSecret
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
				uid, err := t.createUser(ctx, creds[i], t.appID)
				if err != nil {
					errs <- fmt.Errorf("create test user %s: %w", creds[i].LoginID, err)
					return
				}
				c.addUser(uid)
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
// registrations and refresh tokens), then the application.
func cleanup(ctx context.Context, t *target, c *created) Cleanup {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var out Cleanup
	for _, id := range c.users {
		if err := t.deleteUser(ctx, id); err != nil {
			out.Errors = append(out.Errors, fmt.Sprintf("delete user %s: %v", id, err))
			continue
		}
		out.UsersDeleted++
	}
	if c.appID != "" {
		if err := t.deleteApplication(ctx, c.appID); err != nil {
			out.Errors = append(out.Errors, fmt.Sprintf("delete application %s: %v", c.appID, err))
		} else {
			out.ApplicationDeleted = true
		}
	}
	return out
}
