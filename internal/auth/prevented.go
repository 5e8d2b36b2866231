package auth

import (
	"context"
	"errors"
	"fmt"
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
