package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// errLoginPrevented: a user action in force prevents the user's login to
// the application, so a refresh is refused like any unusable token
// (security-bar R11), whatever the tenant's onLoginPrevented policy did to
// the sessions when the action was taken.
var errLoginPrevented = errors.New("auth: login prevented by a user action")

// refusePrevented is the refresh side of a lock (actioning-users.mdx:
// preventLogin): one probe of the partial index of actions that prevent
// login, which holds no row for a user who was never locked. With the
// default onLoginPrevented the lock also revoked the sessions in its
// transaction; this refuses the ones it did not (policy off, or an action
// scoped to other applications when it was taken).
func (s *Service) refusePrevented(ctx context.Context, userID, appID string) error {
	now := s.cfg.Now().UnixMilli()
	actions, err := s.cfg.Store.LoginPreventions(ctx, userID, now)
	if err != nil {
		return fmt.Errorf("auth: user actions: %w", err)
	}
	for _, a := range actions {
		if a.Prevents(appID, now) {
			return errLoginPrevented
		}
	}
	return nil
}

// loginPreventions reads the user's actions in force that prevent login,
// before a login decides its outcome (outcome.go): one probe of a partial
// index that holds no row for a user never locked.
func (s *Service) loginPreventions(ctx context.Context, userID string, now time.Time) ([]storage.UserActionLog, error) {
	actions, err := s.cfg.Store.LoginPreventions(ctx, userID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("auth: user actions: %w", err)
	}
	return actions, nil
}

// preventingActions are the user's actions in force at now that prevent a
// login to appID: what refuses a code to a single sign-on session, and its
// exchange.
func (s *Service) preventingActions(ctx context.Context, userID, appID string, now time.Time) ([]storage.UserActionLog, error) {
	all, err := s.loginPreventions(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	var out []storage.UserActionLog
	for _, a := range all {
		if a.Prevents(appID, now.UnixMilli()) {
			out = append(out, a)
		}
	}
	return out, nil
}

// preventedByAction is 409 (actioning-users.mdx, login.mdx): an action in
// force with preventLogin that names no applications, or names this
// login's, refuses it with the actions. Like every outcome it is told only
// after the password verified, so it reveals nothing to a guesser; and
// RecordLogin's gate refuses a login whose lock committed after this read.
func preventedByAction(f loginFacts) *Withheld {
	var actions []storage.UserActionLog
	for _, a := range f.preventions {
		if a.Prevents(f.app.ID, f.now.UnixMilli()) {
			actions = append(actions, a)
		}
	}
	if len(actions) == 0 {
		return nil
	}
	return &Withheld{Actions: actions}
}

// preventedLate turns RecordLogin's gate refusal (a lock that committed
// after the login read the user's actions) into the same 409, with the
// actions the gate found. The gate's transaction wrote nothing.
func preventedLate(err error, user storage.User) (*Withheld, bool) {
	var p *storage.LoginPrevented
	if !errors.As(err, &p) {
		return nil, false
	}
	return &Withheld{Kind: WithheldLoginPrevented, User: user, Actions: p.Actions}, true
}
