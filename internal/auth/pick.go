package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// maxCandidates bounds the lookups one request can cause by sending many
// refresh cookies. A request with more distinct values of a token's shape
// is refused, not cut short: the values a browser sends last (a cookie of
// Path=/, the identity server's own, after the longer paths a sibling
// subdomain can plant) would be the ones never looked at, and the pick
// would then see only the planter's sessions.
const maxCandidates = 8

// PickRequest is a request that carried more than one refresh token at
// once: several cookies of one name, which a sibling subdomain can plant
// next to the identity server's own (cookie tossing).
type PickRequest struct {
	Values        []string
	ApplicationID string // as RefreshRequest.ApplicationID
	DPoPJKT       string // the proof's key, if any
	// SessionID, when set, is the sid of the caller's own (possibly
	// expired) access token, sent by the SPA: the candidate of that
	// session wins.
	SessionID string
	IPAddress string // for the security event only
}

// PickRefreshToken chooses which of several presented refresh tokens a
// request acts on, reading only (nothing is consumed or revoked). A value
// that is unknown, revoked, expired, of another application or bound to
// another DPoP key is set aside, so a planted garbage cookie never logs the
// user out. Of the rest: the one of SessionID's session; else, when they
// all belong to one user, that user's newest session (its current value
// before a superseded one); when they belong to different users the request
// is refused with ErrRefreshNotFound and a refresh_cookie_conflict warning:
// answering with the planted session would log the victim in as the
// attacker. ErrRefreshNotFound too when nothing usable is left.
func (s *Service) PickRefreshToken(ctx context.Context, req PickRequest) (string, error) {
	if shapedValues(req.Values) > maxCandidates {
		s.emit(ctx, event{name: evCookieConflict, level: slog.LevelWarn, appID: req.ApplicationID, ip: req.IPAddress,
			outcome: "too_many_values"})
		return "", ErrRefreshNotFound
	}
	cands, err := s.candidates(ctx, req)
	if err != nil {
		return "", err
	}
	if req.SessionID != "" {
		if c, ok := best(cands, func(c candidate) bool { return c.rt.ID == req.SessionID }); ok {
			return c.raw, nil
		}
	}
	users := map[string]bool{}
	for _, c := range cands {
		users[c.rt.UserID] = true
	}
	if len(users) > 1 {
		s.emit(ctx, event{name: evCookieConflict, level: slog.LevelWarn, appID: req.ApplicationID, ip: req.IPAddress,
			outcome: "refused"})
		return "", ErrRefreshNotFound
	}
	if c, ok := best(cands, func(candidate) bool { return true }); ok {
		return c.raw, nil
	}
	return "", ErrRefreshNotFound
}

// candidate is a presented value whose record could be refreshed.
type candidate struct {
	raw     string
	rt      storage.RefreshToken
	current bool
}

// shapedValues counts the distinct values of a token's shape.
func shapedValues(values []string) int {
	seen := map[string]bool{}
	for _, raw := range values {
		if tokenShaped(raw) {
			seen[raw] = true
		}
	}
	return len(seen)
}

// candidates looks up the distinct values of a token's shape (at most
// maxCandidates: PickRefreshToken refuses more) and keeps those that
// Refresh would not refuse for their state.
func (s *Service) candidates(ctx context.Context, req PickRequest) ([]candidate, error) {
	now := s.cfg.Now()
	seen := map[string]bool{}
	var out []candidate
	for _, raw := range req.Values {
		if seen[raw] || !tokenShaped(raw) {
			continue
		}
		seen[raw] = true
		rt, st, err := s.findFamily(ctx, raw)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("auth: find refresh token: %w", err)
		}
		if !rt.RevokedAt.IsZero() || !now.Before(rt.ExpiresAt) ||
			(req.ApplicationID != "" && req.ApplicationID != rt.ApplicationID) ||
			(rt.DPoPJKT != "" && rt.DPoPJKT != req.DPoPJKT) {
			continue
		}
		out = append(out, candidate{raw: raw, rt: rt, current: st == stCurrent})
	}
	return out, nil
}

// best is the candidate among those ok accepts from the newest session,
// its current value before a superseded one.
func best(cands []candidate, ok func(candidate) bool) (candidate, bool) {
	var b candidate
	found := false
	for _, c := range cands {
		if !ok(c) {
			continue
		}
		newer := c.rt.InsertedAt.After(b.rt.InsertedAt)
		if !found || newer || (c.rt.ID == b.rt.ID && c.current && !b.current) {
			b, found = c, true
		}
	}
	return b, found
}

// tokenShaped: every refresh token latchkey issues is base64url, 92
// characters (refresh_value.go) or 43 (the earlier format: 32 random or
// HMAC bytes); anything else cannot be one and costs no lookup.
func tokenShaped(v string) bool {
	if len(v) != valueChars && len(v) != legacyChars {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
