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
//
// v was issued at generation gen. When it names its family (refresh_value.go)
// it needs no history row: an ancestor is recognised by its generation, so a
// session stays one row however often it rotates.
func (s *Service) rotate(ctx context.Context, rt storage.RefreshToken, v value, gen int,
	set settings, now time.Time) (string, storage.RefreshToken, error) {
	next := s.successor(v.raw, rt.ID, gen+1)
	// The expiry is recomputed from the original StartInstant: rotation slides
	// the window but never moves the maximum lifetime (§10.3).
	rotated, err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{
		ID: rt.ID, OldHash: v.hash, NewHash: hashToken(next), At: now,
		ExpiresAt: set.refreshExpiry(rt.StartInstant, now), NoHistory: v.family != "",
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
	if !cur.RevokedAt.IsZero() || !equalHash(cur.PrevHash, v.hash) {
		return "", rt, ErrRefreshNotFound
	}
	// The winner may be a node still deriving with the previous key.
	if won, ok := s.matchSuccessor(v.raw, rt.ID, gen+1, cur.Hash); ok {
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
//
// v stands as st (previous or ancestor) in the family and was issued at gen.
func (s *Service) previousValue(ctx context.Context, rt storage.RefreshToken, v value, st standing, gen int,
	set settings, now time.Time, ev event) (string, error) {
	// now-RotatedAt <= grace; the grace is never zero (DefaultRetryWindow
	// when none is configured), so racers that looked the token up just
	// after the winner's commit, and retries of a lost answer, get the
	// successor.
	if st == stPrevious && now.Sub(rt.RotatedAt) <= set.Grace {
		if next, ok := s.matchSuccessor(v.raw, rt.ID, gen+1, rt.Hash); ok {
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
