package auth

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// specWrite is what the speculative goroutine reports: the plan it wrote
// (or failed to), and whether RecordLogin was attempted.
type specWrite struct {
	p     loginPlan
	err   error
	wrote bool
}

// speculativeLogin overlaps the login's one durable write with the password
// hash (issue #3: a login costs at most 1.1× its hash). The hash is CPU, the
// commit is mostly waiting for fsync (synchronous=FULL), so running both at
// once hides the commit behind the hash:
//
//   - hash yes: the write is already durable; sign and answer.
//   - hash no (or inactive, expired, unusable hash): UndoLogin takes the
//     write back and counts a guess (wrong password, inactive user) in ONE transaction, so the
//     refusal costs one commit after the hash, like an unknown user's
//     failure count (same work, same answer: security-bar L2).
//
// The refresh token's secret stays in this function until the hash says
// yes, so the short-lived row is never usable; the undo deletes it.
// Writes run on a context that the client hanging up does not cancel: an
// abandoned login must still be taken back.
func (s *Service) speculativeLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, failures storage.LoginFailures, fail event) (Tokens, error) {
	now := s.cfg.Now()
	wctx, cancel := detached(ctx)
	done := make(chan specWrite, 1)
	go func() {
		defer cancel()
		p, err := s.planLogin(wctx, req, tenant, app, user, failures, now)
		if err != nil || p.refused {
			done <- specWrite{p: p, err: err}
			return
		}
		if err := s.cfg.Store.RecordLogin(wctx, p.rec); err != nil {
			done <- specWrite{p: p, err: fmt.Errorf("auth: record login: %w", err), wrote: true}
			return
		}
		done <- specWrite{p: p, wrote: true}
	}()
	ok, verr := s.pw.Verify(req.Password, user.Password)
	w := <-done

	var undo *storage.LoginUndo
	if w.wrote {
		undo = &storage.LoginUndo{Login: w.p.rec, PrevUserLastLogin: w.p.prevUser, PrevRegistrationLastLogin: w.p.prevReg}
	}
	if outcome, err := verdict(ok, verr, user, s.cfg.Now()); outcome != "" {
		return Tokens{}, s.refuse(ctx, tenant, user.ID, verr, fail, outcome, err, undo, &attempt{req, user})
	}
	if w.err != nil {
		// The commit's fate may be unknown (a lost connection): take it back
		// so no half-login stays, then fail.
		s.takeBack(ctx, undo)
		return Tokens{}, w.err
	}
	if w.p.refused {
		s.rehash(ctx, tenant, &user, req.Password)
		return Tokens{}, s.refuseRegistration(ctx, req, app, user.ID)
	}
	out, ev, err := s.issueLogin(ctx, req, app, w.p, now)
	if err != nil {
		s.takeBack(ctx, undo)
		return Tokens{}, err
	}
	s.rehash(ctx, tenant, &out.User, req.Password)
	s.emit(ctx, ev)
	return out, nil
}

// takeBack undoes a speculative write of a login that failed for a reason
// other than its credentials (storage, signing): nothing is counted. Its
// own failure is logged; the login fails either way.
func (s *Service) takeBack(ctx context.Context, undo *storage.LoginUndo) {
	if undo == nil {
		return
	}
	uctx, cancel := detached(ctx)
	defer cancel()
	if _, err := s.cfg.Store.UndoLogin(uctx, *undo); err != nil {
		s.log.ErrorContext(ctx, "speculative login not taken back", "user_id", undo.Login.UserID, "err", err)
	}
}
