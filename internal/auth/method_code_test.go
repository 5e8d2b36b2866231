package auth

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// codeSentAgainOnReserve is the real store on which a new code is sent
// (IssueMethodCode) right after the next answer's attempt is counted: the
// moment between an answer's read of the live code and its consumption.
type codeSentAgainOnReserve struct {
	storage.Storage
	send func()
}

func (s *codeSentAgainOnReserve) ReserveChallengeAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error) {
	n, err := s.Storage.ReserveChallengeAttempt(ctx, kind, hash, now, max)
	if f := s.send; f != nil {
		s.send = nil
		f()
	}
	return n, err
}

// A code replaced by a new send while its answer is being checked is not
// accepted: the answer consumed the new code, which it never matched.
// Without the check of what was consumed, the old code passed once more.
func TestMethodCodeReplacedWhileCheckedIsRefused(t *testing.T) {
	e := newEnv(t)
	st := &codeSentAgainOnReserve{Storage: e.store}
	svc := New(Config{Store: st, Keys: e.keys, Now: e.clock.Now, TenantID: tenantID})
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)

	old, err := svc.IssueMethodCode(e.ctx, user, "email:"+userEmail)
	must(t, err)
	var replacement string
	st.send = func() {
		c, err := svc.IssueMethodCode(e.ctx, user, "email:"+userEmail)
		must(t, err)
		replacement = c
	}
	ok, err := svc.CheckAddressCode(e.ctx, userID, userEmail, old)
	must(t, err)
	if replacement == "" {
		t.Fatal("no code was sent during the check")
	}
	if ok && replacement != old {
		t.Fatalf("the replaced code %s was accepted after %s was sent", old, replacement)
	}

	// Without a race, a code is still accepted once and then spent.
	fresh, err := svc.IssueMethodCode(e.ctx, user, "email:"+userEmail)
	must(t, err)
	if ok, err := svc.CheckAddressCode(e.ctx, userID, userEmail, fresh); err != nil || !ok {
		t.Fatalf("a live code: ok=%v err=%v, want accepted", ok, err)
	}
	if ok, err := svc.CheckAddressCode(e.ctx, userID, userEmail, fresh); err != nil || ok {
		t.Fatalf("a spent code: ok=%v err=%v, want refused", ok, err)
	}
}
