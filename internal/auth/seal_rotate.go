package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ResealTwoFactorSecrets moves at most limit TOTP secrets sealed with an
// older key of the ring to the current one and returns how many it moved.
// After a server-secret key change every node still opens the old values
// (the old key stays second), and this, run by the janitor (one node at a
// time, app/janitor.go), re-seals them, so that the old key can be dropped
// once a pass moves none (docs/deploy.md, "Rotating the server secret").
// A value that changed meanwhile (disabled, re-enrolled, re-sealed by
// another node) is left to its new owner by the compare-and-swap.
func (s *Service) ResealTwoFactorSecrets(ctx context.Context, limit int) (int, error) {
	moved := 0
	for _, old := range s.sealers[1:] {
		if moved >= limit {
			break
		}
		ms, err := s.cfg.Store.ListTwoFactorSecrets(ctx, old.id, limit-moved)
		if err != nil {
			return moved, fmt.Errorf("auth: list sealed two-factor secrets: %w", err)
		}
		for _, m := range ms {
			secret, current, err := s.unsealSecret(m.UserID, m.ID, m.Secret)
			if err != nil || current {
				// Only a row altered in the database (or two keys whose ids
				// collide) gets here; it is left as it is.
				s.log.LogAttrs(ctx, slog.LevelError, "two-factor secret not re-sealed: it does not open",
					slog.String("user_id", m.UserID), slog.String("method_id", m.ID))
				continue
			}
			err = s.cfg.Store.ReplaceTwoFactorSecret(ctx, m.UserID, m.ID, m.Secret, s.SealSecret(m.UserID, m.ID, secret))
			switch {
			case err == nil:
				moved++
			case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrNotFound):
			default:
				return moved, fmt.Errorf("auth: re-seal two-factor secret: %w", err)
			}
		}
	}
	return moved, nil
}
