package mfa

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RemoveRequest is an administrator removing a user's second factor
// without a code: the console's "Remove two-factor" and DELETE
// /api/user/two-factor/{userId} with an API key and no code.
type RemoveRequest struct {
	UserID string
	// MethodID names the one method to remove; empty removes every method
	// and the recovery codes.
	MethodID string
}

// AdminRemove removes the request's method (or all of them, and the
// recovery codes) with an audit entry naming the actor (manage.ActorFrom)
// and the removed methods (never a secret), in one transaction. The
// methodId field is invalid when it names no method of the user; a user
// without methods is refused the same way, and nothing is written.
func (s *Service) AdminRemove(ctx context.Context, scope manage.Scope, req RemoveRequest) error {
	user, err := s.user(ctx, scope, req.UserID)
	if err != nil {
		return err
	}
	methods, err := s.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return err
	}
	var removed []methodAudit
	for _, m := range methods {
		if req.MethodID == "" || m.ID == req.MethodID {
			removed = append(removed, methodAudit{ID: m.ID, Method: m.Method, Name: m.Name, Email: m.Email})
		}
	}
	if len(removed) == 0 {
		if req.MethodID == "" {
			return invalid("invalid", "methodId", "The user has no two-factor method to remove.")
		}
		return invalid("invalid", "methodId", "The [methodId] property does not name a two-factor method of the user.")
	}
	msg := "Removed every two-factor method and the recovery codes of the user with Id [" + user.ID + "]"
	if req.MethodID != "" {
		msg = "Removed the two-factor method [" + req.MethodID + "] of the user with Id [" + user.ID + "]"
	}
	entry := manage.AuditEntry(ctx, s.now(), user.TenantID, msg, map[string]any{"twoFactor": map[string]any{"methods": removed}}, nil)
	if req.MethodID == "" {
		err = s.Store.RemoveTwoFactorMethods(ctx, user.ID, entry)
	} else {
		err = s.Store.RemoveTwoFactorMethod(ctx, user.ID, req.MethodID, entry)
	}
	if errors.Is(err, storage.ErrNotFound) {
		// Removed meanwhile by someone else: nothing of ours was written.
		return invalid("invalid", "methodId", "The user has no such two-factor method any more.")
	}
	if err != nil {
		return err
	}
	outcome := "all_by_admin"
	if req.MethodID != "" {
		outcome = "one_by_admin"
	}
	s.event(ctx, "two_factor_method_remove", user.ID, outcome)
	return nil
}

// methodAudit is a removed method as the audit log records it: no secret.
type methodAudit struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
}
