package mfa_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const (
	appID     = "0f1a2b3c-0000-4000-8000-0000000000a1"
	userID    = "0f1a2b3c-0000-4000-8000-0000000000b1"
	userEmail = "alice@example.test"
	issuer    = "https://id.example.test"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// codeMailFails is the real store whose writes of a code's mail fail while
// fails is above zero, whichever way the mail is written: with its code
// (IssueChallenge, given a message the store refuses after the real one,
// so the real transaction fails) or on its own (EnqueueOutbox). Fault
// injection by embedding, design.md: no mocks.
type codeMailFails struct {
	storage.Storage
	fails atomic.Int32
}

func (s *codeMailFails) IssueChallenge(ctx context.Context, c storage.Challenge, l storage.RateLimit, msgs ...storage.OutboxMessage) (int, error) {
	if len(msgs) > 0 && s.fails.Add(-1) >= 0 {
		msgs = append(msgs, storage.OutboxMessage{Queue: mail.Queue}) // no id: refused
	}
	return s.Storage.IssueChallenge(ctx, c, l, msgs...)
}

func (s *codeMailFails) EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error {
	if len(msgs) > 0 && msgs[0].Queue == mail.Queue && s.fails.Add(-1) >= 0 {
		return storage.ErrUnavailable
	}
	return s.Storage.EnqueueOutbox(ctx, msgs...)
}

// jobEnv is a real store (with codeMailFails in front), the mfa service, and
// the real outbox worker of the passwordless queue, polled by the test.
type jobEnv struct {
	t      *testing.T
	ctx    context.Context
	clock  *clock
	store  *codeMailFails
	svc    *mfa.Service
	worker *outbox.Worker
}

func newJobEnv(t *testing.T) *jobEnv {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := &codeMailFails{Storage: sqlstorage.OpenTest(t)}
	tn := manage.NewDefaultTenant(issuer, clk.Now())
	tn.EmailConfiguration.DefaultFromEmail = "no-reply@example.test"
	must(t, st.CreateTenant(ctx, tn))
	must(t, st.CreateApplication(ctx, storage.Application{ID: appID, TenantID: tn.ID, Name: "Store", Active: true, State: "Active",
		PasswordlessConfiguration: &storage.PasswordlessConfiguration{Enabled: true}}))
	must(t, st.CreateUser(ctx, storage.User{ID: userID, TenantID: tn.ID, Active: true, Email: userEmail, Verified: true,
		InsertInstant: clk.Now().UnixMilli()}))
	km := keys.New(st, keys.Options{Now: clk.Now, Issuer: issuer})
	must(t, km.Init(ctx))
	a := auth.New(auth.Config{Store: st, Keys: km, Now: clk.Now, TenantID: tn.ID})
	svc := &mfa.Service{Store: st, Auth: a, Now: clk.Now, TenantID: tn.ID}
	path := manage.CodeMailer{Mail: manage.New(st, a, clk.Now).Mail, Queue: st, Now: clk.Now}
	w, err := outbox.New(outbox.Config{Store: st, Queue: mfa.PasswordlessQueue, Now: clk.Now, Concurrency: 1,
		BaseBackoff: time.Second, MaxBackoff: time.Second, // a retry is due two (fake) seconds later
		Deliver: func(ctx context.Context, m storage.OutboxMessage) error { return svc.RunPasswordlessJob(ctx, path, m) }})
	must(t, err)
	return &jobEnv{t: t, ctx: ctx, clock: clk, store: st, svc: svc, worker: w}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start is a keyless POST /api/passwordless/start for alice.
func (e *jobEnv) start() {
	e.t.Helper()
	_, err := e.svc.StartPasswordless(e.ctx, manage.Scope{}, nil, mfa.PasswordlessStart{ApplicationID: appID, LoginID: userEmail})
	must(e.t, err)
}

// poll runs the worker once on what is due and moves the clock past the
// retry delay; it returns how many jobs it ran.
func (e *jobEnv) poll() int {
	e.t.Helper()
	n, err := e.worker.Poll(e.ctx)
	must(e.t, err)
	e.clock.Advance(2 * time.Second)
	return n
}

// jobs is every passwordless job, newest first.
func (e *jobEnv) jobs() []storage.OutboxMessage {
	e.t.Helper()
	jobs, err := e.store.ListOutbox(e.ctx, storage.OutboxFilter{Queue: mfa.PasswordlessQueue})
	must(e.t, err)
	return jobs
}

var codeLink = regexp.MustCompile(`/passwordless/([A-Za-z0-9_-]+)`)

// mailedCodes is the code of every passwordless mail queued, oldest first.
func (e *jobEnv) mailedCodes() []string {
	e.t.Helper()
	msgs, err := e.store.ListOutbox(e.ctx, storage.OutboxFilter{Queue: mail.Queue})
	must(e.t, err)
	var codes []string
	for i := len(msgs) - 1; i >= 0; i-- {
		var m mail.Message
		must(e.t, json.Unmarshal(msgs[i].Payload, &m))
		c := codeLink.FindStringSubmatch(m.Text + m.HTML)
		if c == nil || m.To.Address != userEmail {
			e.t.Fatalf("mail %s to %s holds no passwordless code", msgs[i].ID, m.To.Address)
		}
		codes = append(codes, c[1])
	}
	return codes
}

// TestPasswordlessJobRetriedAfterAFailedMailWriteIssuesOneCode (adversarial):
// a keyless start whose job fails to write its mail once or twice (a
// database error) and then succeeds leaves exactly one live code from the
// job, queued in exactly one mail, which logs in; the user's limit (five
// codes a minute) was charged once, so four more starts in the same minute
// are mailed and a fifth is not.
func TestPasswordlessJobRetriedAfterAFailedMailWriteIssuesOneCode(t *testing.T) {
	for _, fails := range []int32{1, 2} {
		t.Run(fmt.Sprintf("%d failed", fails), func(t *testing.T) {
			e := newJobEnv(t)
			e.store.fails.Store(fails)
			e.start()
			for range fails {
				if n := e.poll(); n != 1 {
					t.Fatalf("the worker ran %d jobs, want the start's", n)
				}
				if j := e.jobs()[0]; j.State != storage.OutboxPending || j.LastError == "" {
					t.Fatalf("after a failed mail write the job is %s (%q), want pending a retry", j.State, j.LastError)
				}
			}
			e.poll()
			if j := e.jobs()[0]; j.State != storage.OutboxSent || j.Attempts != int(fails)+1 {
				t.Fatalf("the job is %s after %d attempts, want done after %d", j.State, j.Attempts, fails+1)
			}
			e.oneMailedCodeLogsIn()
			e.limitChargedOnce()
		})
	}
}

// TestPasswordlessJobRunAgainAfterItsOutcomeWasLost (adversarial): the
// outbox runs a job again when the worker that ran it died before
// recording the outcome (its lease expires). The second run issues no
// second code, sends no second mail and does not charge the limit again;
// the first run's mail holds the live code, which logs in.
func TestPasswordlessJobRunAgainAfterItsOutcomeWasLost(t *testing.T) {
	e := newJobEnv(t)
	e.start()
	now := e.clock.Now()
	claimed, err := e.store.ClaimOutbox(e.ctx, storage.OutboxClaim{Queue: mfa.PasswordlessQueue, Owner: "crashed-node",
		Now: now, LeaseUntil: now.Add(time.Second), Limit: 1})
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d jobs, want the start's", len(claimed))
	}
	// The crashed node's run: its write commits, its outcome is never recorded.
	mailer := manage.CodeMailer{Mail: manage.New(e.store, e.svc.Auth, e.clock.Now).Mail, Queue: e.store, Now: e.clock.Now}
	must(t, e.svc.RunPasswordlessJob(e.ctx, mailer, claimed[0]))
	e.clock.Advance(2 * time.Second) // the lease expires
	if n := e.poll(); n != 1 {
		t.Fatalf("the worker ran %d jobs, want the one whose lease expired", n)
	}
	if j := e.jobs()[0]; j.State != storage.OutboxSent || j.Attempts != 2 {
		t.Fatalf("the job is %s after %d attempts, want done after 2", j.State, j.Attempts)
	}
	e.oneMailedCodeLogsIn()
	e.limitChargedOnce()
}

// oneMailedCodeLogsIn: exactly one mail is queued, its code logs in, and no
// other code of the user is live.
func (e *jobEnv) oneMailedCodeLogsIn() {
	e.t.Helper()
	codes := e.mailedCodes()
	if len(codes) != 1 {
		e.t.Fatalf("%d mails queued for one start, want one", len(codes))
	}
	if _, err := e.svc.LoginPasswordless(e.ctx, mfa.PasswordlessLogin{Code: codes[0], ApplicationID: appID}); err != nil {
		e.t.Fatalf("login with the mailed code: %v", err)
	}
	if n, err := e.store.DeleteChallenges(e.ctx, userID, storage.ChallengePasswordless); err != nil || n != 0 {
		e.t.Fatalf("%d other codes of the user live after the mailed one was used (%v), want none", n, err)
	}
}

// limitChargedOnce: the start took one of the user's five codes a minute:
// four more starts are mailed, a fifth is not.
func (e *jobEnv) limitChargedOnce() {
	e.t.Helper()
	for i := range 5 {
		e.start()
		if n := e.poll(); n != 1 {
			e.t.Fatalf("start %d: the worker ran %d jobs, want one", i+2, n)
		}
	}
	if n := len(e.mailedCodes()); n != 5 {
		e.t.Fatalf("%d mails after six starts in a minute, want five: the failed or repeated runs charged the limit", n)
	}
}
