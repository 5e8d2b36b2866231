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
// session stays one row however often it rotates. The refresh's events
// (msgs) commit with the swap; committed says whether they did (false for a
// loser of the race, whose caller stores them alone).
func (s *Service) rotate(ctx context.Context, rt storage.RefreshToken, v value, gen int,
	set settings, now time.Time, msgs []storage.OutboxMessage) (string, storage.RefreshToken, bool, error) {
	next := s.successor(v.raw, rt.ID, gen+1)
	// The expiry is recomputed from the original StartInstant: rotation slides
	// the window but never moves the maximum lifetime (§10.3). Under the
	// Fixed policy it is the one read, unless the TTL changed since: storage
	// then leaves it unwritten (OldExpiresAt).
	rotated, err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{
		ID: rt.ID, OldHash: v.hash, NewHash: hashToken(next), At: now,
		ExpiresAt: set.refreshExpiry(rt.StartInstant, now), OldExpiresAt: rt.ExpiresAt,
		NoHistory: v.family != "", Outbox: msgs,
	})
	if err == nil {
		return next, rotated, true, nil
	}
	if !errors.Is(err, storage.ErrConflict) {
		return "", rt, false, err
	}
	// Lost the race. Our lookup saw the value as current, so this is a
	// concurrent legitimate use, not reuse: answer with the winner's successor
	// if it is still the current value and the family is alive.
	cur, err := s.cfg.Store.GetRefreshToken(ctx, rt.ID)
	if err != nil {
		return "", rt, false, err
	}
	if !cur.RevokedAt.IsZero() || !equalHash(cur.PrevHash, v.hash) {
		return "", rt, false, ErrRefreshNotFound
	}
	// The winner may be a node still deriving with the previous key.
	if won, ok := s.matchSuccessor(v.raw, rt.ID, gen+1, cur.Hash); ok {
		return won, cur, false, nil
	}
	return "", rt, false, ErrRefreshNotFound
}

// withinGrace reports whether a value standing st, no longer current, is
// the immediately previous value presented within the grace period (never
// zero: DefaultRetryWindow when none is configured): a retry or a racer,
// not reuse.
func withinGrace(rt storage.RefreshToken, st standing, set settings, now time.Time) bool {
	return st == stPrevious && now.Sub(rt.RotatedAt) <= set.Grace
}

// previousValue handles a presented value that is no longer current. The
// immediately previous value within the grace period
// (refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds, §10.6) gets the
// current successor back without rotating again. Anything else is reuse of a
// rotated token, which is how a stolen token shows itself: the whole family
// is revoked, so the thief's copy and the victim's both stop working, and a
// warning is logged (RFC 9700 §4.14.2; security-bar R4, R5).
//
// v stands as st (previous or ancestor) in the family and was issued at
// gen. The revocation commits with its events: jwt.refresh-token.revoke and
// latchkey's jwt.refresh-token.reuse.
func (s *Service) previousValue(ctx context.Context, rt storage.RefreshToken, v value, st standing, gen int,
	c refreshCtx, now time.Time, ev event, req RefreshRequest) (string, error) {
	// now-RotatedAt <= grace; the grace is never zero (DefaultRetryWindow
	// when none is configured), so racers that looked the token up just
	// after the winner's commit, and retries of a lost answer, get the
	// successor.
	if withinGrace(rt, st, c.set, now) {
		if next, ok := s.matchSuccessor(v.raw, rt.ID, gen+1, rt.Hash); ok {
			return next, nil
		}
		// Only possible if the successor key was replaced (and the old one
		// dropped) since the rotation: refuse without punishing a client
		// that did nothing wrong.
		return "", ErrRefreshNotFound
	}
	f := storage.RefreshTokenFilter{ID: rt.ID}
	msgs, err := s.revokeEvents(ctx, c.tenant, f, rt, nil, req.IPAddress, req.UserAgent, true)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: f, At: now, Reason: "reuse", Outbox: msgs}); err != nil {
		return "", fmt.Errorf("auth: revoke reused family: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	ev.name, ev.level, ev.outcome = evReuse, slog.LevelWarn, "family_revoked"
	s.emit(ctx, ev)
	return "", ErrRefreshNotFound
}
