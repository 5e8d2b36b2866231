package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// rotate performs a OneTimeUse rotation: the successor replaces the presented
// value through the storage compare-and-swap, so of N concurrent refreshes
// exactly one adds a generation (security-bar §0.7, R6). The successor is
// HMAC(successor key, presented), so the racers that lose the swap compute the
// very value the winner stored and return it: two tabs sharing one cookie end
// up with the same token and never log each other out.
func (s *Service) rotate(ctx context.Context, rt storage.RefreshToken, raw string, h []byte,
	set settings, now time.Time) (string, storage.RefreshToken, error) {
	next := s.successor(raw)
	nextHash := hashToken(next)
	// The expiry is recomputed from the original StartInstant: rotation slides
	// the window but never moves the maximum lifetime (§10.3).
	rotated, err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{
		ID: rt.ID, OldHash: h, NewHash: nextHash, At: now,
		ExpiresAt: set.refreshExpiry(rt.StartInstant, now),
	})
	if err == nil {
		return next, rotated, nil
	}
	if !errors.Is(err, storage.ErrConflict) {
		return "", rt, err
	}
	// Lost the race. Our lookup saw the value as current, so this is a
	// concurrent legitimate use, not reuse: answer with the winner's successor
	// if it is still the current value and the family is alive.
	cur, err := s.cfg.Store.GetRefreshToken(ctx, rt.ID)
	if err != nil {
		return "", rt, err
	}
	if !cur.RevokedAt.IsZero() || !equalHash(cur.PrevHash, h) {
		return "", rt, ErrRefreshNotFound
	}
	// The winner may be a node still deriving with the previous key.
	if won, ok := s.matchSuccessor(raw, cur.Hash); ok {
		return won, cur, nil
	}
	return "", rt, ErrRefreshNotFound
}

// previousValue handles a presented value that is no longer current. The
// immediately previous value within the grace period
// (refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds, §10.6) gets the
// current successor back without rotating again. Anything else is reuse of a
// rotated token, which is how a stolen token shows itself: the whole family
// is revoked, so the thief's copy and the victim's both stop working, and a
// warning is logged (RFC 9700 §4.14.2; security-bar R4, R5).
func (s *Service) previousValue(ctx context.Context, rt storage.RefreshToken, raw string, h []byte,
	set settings, now time.Time, ev event) (string, error) {
	// now-RotatedAt <= grace; the grace is never zero (DefaultRetryWindow
	// when none is configured), so racers that looked the token up just
	// after the winner's commit, and retries of a lost answer, get the
	// successor.
	if equalHash(h, rt.PrevHash) && now.Sub(rt.RotatedAt) <= set.Grace {
		if next, ok := s.matchSuccessor(raw, rt.Hash); ok {
			return next, nil
		}
		// Only possible if the successor key was replaced (and the old one
		// dropped) since the rotation: refuse without punishing a client
		// that did nothing wrong.
		return "", ErrRefreshNotFound
	}
	if _, err := s.cfg.Store.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: rt.ID}, now, "reuse"); err != nil {
		return "", fmt.Errorf("auth: revoke reused family: %w", err)
	}
	ev.name, ev.level, ev.outcome = evReuse, slog.LevelWarn, "family_revoked"
	s.emit(ctx, ev)
	return "", ErrRefreshNotFound
}
