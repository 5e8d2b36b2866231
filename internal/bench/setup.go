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

	"github.com/google/uuid"
)

// created is what a run made on the server, or may have made, to be
// deleted afterwards. A creation whose answer never came (a timeout, a
// dropped connection) or was a failure may still have been committed (a
// 503 from a proxy, or from a server whose deadline passed after its
// commit). Such users are kept by login id, which is the run's own
// (UserLoginID), and cleanup looks each one up; the application's id the
// bench chooses itself and records before sending its creation.
type created struct {
	runID  string
	mu     sync.Mutex
	users  []string // ids of users whose creation was answered 200
	unsure []string // login ids of users whose creation was not
	appID  string
	appOK  bool // the application's creation was answered 200
}

func (c *created) addUser(id string) {
	c.mu.Lock()
	c.users = append(c.users, id)
	c.mu.Unlock()
}

func (c *created) addUnsure(loginID string) {
	c.mu.Lock()
	c.unsure = append(c.unsure, loginID)
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
	if len(o.RefreshTokens) > 0 {
		return make([]Credential, o.Clients), nil // sessions without a login (openSessions)
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
				if errors.Is(err, errDuplicateEmail) {
					// The login id is this run's (its run id has 50 random
					// bits): the server has it from an earlier send of this
					// request, a busy answer sent again after the first had
					// committed.
					uid, err = t.findUserID(ctx, creds[i].LoginID)
				}
				if err != nil {
					if maybeDone(err) {
						c.addUnsure(creds[i].LoginID)
					}
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

// createApplication creates the run's application with an id recorded in c
// before the request is sent.
func createApplication(ctx context.Context, t *target, c *created, run time.Duration) (application, error) {
	id := uuid.NewString()
	c.mu.Lock()
	c.appID = id
	c.mu.Unlock()
	app, err := t.createApplication(ctx, id, "latchkey bench "+c.runID, run)
	if err != nil {
		if !maybeDone(err) {
			c.mu.Lock()
			c.appID = "" // refused: nothing to delete
			c.mu.Unlock()
		}
		return app, fmt.Errorf("create the test application: %w", err)
	}
	c.mu.Lock()
	c.appID, c.appOK = app.ID, true // a server that ignored the id named its own
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
		if len(o.RefreshTokens) > 0 {
			s.refresh = o.RefreshTokens[i] // an existing session: nothing to log in
			continue
		}
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
	Notes              []string `json:"notes,omitempty"`
}

// Messages is what a user is told about the cleanup: its errors, then its
// notes.
func (c Cleanup) Messages() []string { return slices.Concat(c.Errors, c.Notes) }

// cleanupTimeout bounds the deletions; they run on a context of their own,
// so an interrupted run still cleans up.
const cleanupTimeout = time.Minute

// recheckAfter is how long cleanup waits before looking again for what an
// unanswered creation may have made and the first look did not find: a
// server may still be hashing or committing a request the bench gave up on.
var recheckAfter = 2 * time.Second // a variable for tests

// cleanup hard-deletes what the run created: the users (with their
// registrations and refresh tokens), then the application. Users and an
// application whose creation was not answered 200 are looked up (by login
// id, by the application's id) and deleted when found; when they are not
// found, cleanup looks again after recheckAfter, then leaves them out of
// the counts and names them in a note.
func cleanup(ctx context.Context, t *target, c *created) Cleanup {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out Cleanup
	for _, id := range c.users {
		if err := t.deleteUser(ctx, id); err != nil {
			out.Errors = append(out.Errors, fmt.Sprintf("delete user %s: %v", id, err))
			continue
		}
		out.UsersDeleted++
	}
	// findUnsure deletes each unsure user it finds and returns the login ids
	// it did not find, or could not look up (last: the final look, after
	// which a failed lookup is an error).
	findUnsure := func(loginIDs []string, last bool) (absent []string) {
		for _, l := range loginIDs {
			id, err := t.findUserID(ctx, l)
			if errors.Is(err, errNotFound) || (err != nil && !last) {
				absent = append(absent, l)
				continue
			}
			if err != nil {
				out.Errors = append(out.Errors, fmt.Sprintf("look up user %s (its creation was not confirmed): %v", l, err))
				continue
			}
			c.users = append(c.users, id)
			if err := t.deleteUser(ctx, id); err != nil {
				out.Errors = append(out.Errors, fmt.Sprintf("delete user %s: %v", id, err))
				continue
			}
			out.UsersDeleted++
		}
		return absent
	}
	deleteApp := func() (absent bool) {
		err := t.deleteApplication(ctx, c.appID)
		switch {
		case !c.appOK && errors.Is(err, errNotFound):
			return true
		case err != nil:
			out.Errors = append(out.Errors, fmt.Sprintf("delete application %s: %v", c.appID, err))
		default:
			out.ApplicationDeleted = true
		}
		return false
	}
	absent := findUnsure(c.unsure, false)
	// The application goes after the users it was found with, and before
	// a second look: a creation still under way then finds no application
	// to register its user to.
	appAbsent := c.appID != "" && deleteApp()
	if len(absent) > 0 || appAbsent {
		select {
		case <-ctx.Done():
		case <-time.After(recheckAfter):
		}
		absent = findUnsure(absent, true)
		if appAbsent {
			appAbsent = deleteApp()
		}
	}
	if len(absent) > 0 {
		what := fmt.Sprintf("%d user creations were", len(absent))
		if len(absent) == 1 {
			what = "1 user creation was"
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%s not confirmed and not found %s later: %s; a server still working on them may create them after the run",
			what, recheckAfter, strings.Join(absent, ", ")))
	}
	if appAbsent {
		out.Notes = append(out.Notes, fmt.Sprintf("the application's creation was not confirmed and application %s was not found %s later", c.appID, recheckAfter))
		c.appID = ""
	}
	return out
}
