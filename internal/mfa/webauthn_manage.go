package mfa

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Passkey management (accounts spec §11.6). owner, when set, limits the
// call to that user's passkeys (the JWT forms, latchkey's extension: a
// user lists and deletes their own).

// Credential returns one passkey the scope (and owner) sees.
func (s *Service) Credential(ctx context.Context, sc manage.Scope, owner, id string) (storage.WebAuthnCredential, error) {
	if !manage.ValidID(id) {
		return storage.WebAuthnCredential{}, manage.ErrNotFound
	}
	c, err := s.Store.GetWebAuthnCredential(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!sc.Sees(c.TenantID) || (owner != "" && c.UserID != owner))) {
		return storage.WebAuthnCredential{}, manage.ErrNotFound
	}
	return c, err
}

// Credentials lists a user's passkeys (400 [invalid]userId for an unknown
// user, as FusionAuth answers).
func (s *Service) Credentials(ctx context.Context, sc manage.Scope, userID string) ([]storage.WebAuthnCredential, error) {
	if err := s.passkeyOwner(ctx, sc, userID); err != nil {
		return nil, err
	}
	return s.Store.ListWebAuthnCredentials(ctx, userID)
}

// passkeyOwner checks the user GET and DELETE /api/webauthn?userId= name:
// one FusionAuth validation serves both (validateCredentialGetDelete), so
// an unknown user is 400 [invalid]userId for each, not 404.
func (s *Service) passkeyOwner(ctx context.Context, sc manage.Scope, userID string) error {
	if _, err := s.user(ctx, sc, userID); errors.Is(err, manage.ErrNotFound) {
		return invalid("invalid", "userId", "The [userId] property does not name a user.")
	} else if err != nil {
		return err
	}
	return nil
}

// DeleteCredential deletes one passkey.
func (s *Service) DeleteCredential(ctx context.Context, sc manage.Scope, owner, id string) error {
	c, err := s.Credential(ctx, sc, owner, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteWebAuthnCredential(ctx, c.ID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return manage.ErrNotFound
		}
		return err
	}
	s.event(ctx, "webauthn_credential_remove", c.UserID, "one")
	return nil
}

// DeleteCredentials deletes every passkey of a user (400 [invalid]userId
// for an unknown user, as Credentials).
func (s *Service) DeleteCredentials(ctx context.Context, sc manage.Scope, userID string) error {
	if err := s.passkeyOwner(ctx, sc, userID); err != nil {
		return err
	}
	_, err := s.Store.DeleteWebAuthnCredentials(ctx, userID)
	if err == nil {
		s.event(ctx, "webauthn_credential_remove", userID, "all")
	}
	return err
}
