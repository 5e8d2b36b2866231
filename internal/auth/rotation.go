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
// HMAC(serverSecret, presented), so the racers that lose the swap compute the
// very value the winner stored and return it: two tabs sharing one cookie end
// up with the same token and never log each other out.
//
// The refresh's events (msgs) commit with the swap; committed says whether
// they did (false for a loser of the race, whose caller stores them alone).
func (s *Service) rotate(ctx context.Context, rt storage.RefreshToken, raw string, h []byte,
	set settings, now time.Time, msgs []storage.OutboxMessage) (string, storage.RefreshToken, bool, error) {
	next, err := s.successor(ctx, raw)
	if err != nil {
		return "", rt, false, err
	}
	nextHash := hashToken(next)
	// The expiry is recomputed from the original StartInstant: rotation slides
	// the window but never moves the maximum lifetime (§10.3).
	rotated, err := s.cfg.Store.RotateRefreshToken(ctx, storage.Rotation{
		ID: rt.ID, OldHash: h, NewHash: nextHash, At: now,
		ExpiresAt: set.refreshExpiry(rt.StartInstant, now), Outbox: msgs,
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
	if !cur.RevokedAt.IsZero() || !equalHash(cur.Hash, nextHash) {
		return "", rt, false, ErrRefreshNotFound
	}
	return next, cur, false, nil
}

// withinGrace reports whether h, no longer current, is the immediately
// previous value presented within the grace period: a retry, not reuse.
// now-RotatedAt <= grace, literally: with grace 0 only a request at the
// very instant of the rotation qualifies (an injected clock in tests); in
// production 0 means no tolerance, as in FusionAuth.
func withinGrace(rt storage.RefreshToken, h []byte, set settings, now time.Time) bool {
	return equalHash(h, rt.PrevHash) && now.Sub(rt.RotatedAt) <= set.Grace
}

// previousValue handles a presented value that is no longer current. The
// immediately previous value within the grace period
// (refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds, §10.6) gets the
// current successor back without rotating again. Anything else is reuse of a
// rotated token, which is how a stolen token shows itself: the whole family
// is revoked, so the thief's copy and the victim's both stop working, and a
// warning is logged (RFC 9700 §4.14.2; security-bar R4, R5).
//
// The revocation commits with its events: jwt.refresh-token.revoke and
// latchkey's jwt.refresh-token.reuse.
func (s *Service) previousValue(ctx context.Context, rt storage.RefreshToken, raw string, h []byte,
	c refreshCtx, now time.Time, ev event, req RefreshRequest) (string, error) {
	if withinGrace(rt, h, c.set, now) {
		next, err := s.successor(ctx, raw)
		if err != nil {
			return "", err
		}
		if equalHash(hashToken(next), rt.Hash) {
			return next, nil
		}
		// Only possible if the successor secret changed under us: refuse
		// without punishing a client that did nothing wrong.
		return "", ErrRefreshNotFound
	}
	f := storage.RefreshTokenFilter{ID: rt.ID}
	msgs, err := s.revokeEvents(ctx, c.tenant, f, rt, req.IPAddress, req.UserAgent, true)
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
