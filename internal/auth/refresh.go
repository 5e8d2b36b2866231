package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Refresh validates, rotates (OneTimeUse) or touches (Reusable) the token and
// signs a new access token (POST /api/jwt/refresh, fusionauth-api.md §2.1;
// grant_type=refresh_token, §4.3). Every refusal that concerns the token
// itself (unknown, revoked, expired, other application, user gone, reuse) is
// the same ErrRefreshNotFound, so a caller learns nothing about its state
// (security-bar R11). Nothing is consumed until every check has passed.
func (s *Service) Refresh(ctx context.Context, req RefreshRequest) (Tokens, error) {
	now := s.cfg.Now()
	ev := event{name: evRefreshFail, level: slog.LevelInfo, appID: req.ApplicationID, ip: req.IPAddress}
	refuse := func(outcome string) (Tokens, error) {
		ev.outcome = outcome
		s.emit(ctx, ev)
		return Tokens{}, ErrRefreshNotFound
	}
	raw := req.RefreshToken
	if raw == "" || len(raw) > maxRefreshTokenLen {
		return refuse("malformed")
	}
	// One read: the family (by the id the value carries, or by hash for a
	// value of the earlier format) with its user and registrations.
	v := readValue(raw)
	k := v.key()
	k.At = now.UnixMilli()
	sess, err := s.cfg.Store.FindRefreshSession(ctx, k)
	if errors.Is(err, storage.ErrNotFound) {
		return refuse("unknown")
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: find refresh token: %w", err)
	}
	rt := sess.Token
	st, gen := s.standing(v, rt)
	if st == stUnknown {
		return refuse("unknown")
	}
	ev.userID, ev.appID, ev.tokenID = rt.UserID, rt.ApplicationID, rt.ID
	switch {
	case !rt.RevokedAt.IsZero():
		return refuse("revoked")
	case req.ApplicationID != "" && req.ApplicationID != rt.ApplicationID:
		// RFC 6749 §6: the token must have been issued to this client. It is
		// not consumed, so a confused client cannot burn another app's token.
		return refuse("wrong_application")
	case !now.Before(rt.ExpiresAt):
		return refuse("expired")
	case rt.DPoPJKT != "" && req.DPoPJKT != rt.DPoPJKT:
		return refuse("dpop_key_mismatch") // RFC 9449 §5: bound to one key
	}

	c, err := s.refreshContext(ctx, rt, sess)
	if errors.Is(err, errLoginPrevented) {
		return refuse("login_prevented")
	}
	if errors.Is(err, storage.ErrNotFound) {
		return refuse("context_gone")
	}
	if err != nil {
		return Tokens{}, err
	}
	if !now.Before(policyExpiry(c.set, rt)) {
		// The stored expiry was computed under another policy or lifetime
		// (an administrator changed the tenant's or the application's):
		// under the one in force the family has expired, and a refresh
		// would answer a token that expired already. Like the stored
		// expiry's check above, this comes before reuse detection: an
		// expired family's old value is refused as expired, not revoked.
		return refuse("expired")
	}
	if req.OAuth && req.PublicClient {
		c.set.Usage = usageOneTimeUse // RefreshRequest.PublicClient
	}
	if !req.OAuth && !c.app.LoginConfiguration.AllowTokenRefresh {
		ev.outcome = "not_allowed"
		s.emit(ctx, ev)
		return Tokens{}, ErrRefreshNotAllowed
	}
	scopes, ok := narrowScopes(rt.Scopes, req.Scopes)
	if !ok {
		// RFC 6749 §6: no scope beyond the original. The caller holds a valid
		// token, so saying so tells it nothing new; the token stays unused.
		ev.outcome = "scope_not_granted"
		s.emit(ctx, ev)
		return Tokens{}, ErrInvalidScope
	}

	// A refresh that will be answered gets its jwt.refresh event before
	// anything is consumed, so a transactional one can still refuse it;
	// reuse gets its own events with the revocation instead.
	reuse := st != stCurrent && !withinGrace(rt, st, c.set, now)
	var msgs []storage.OutboxMessage
	if !reuse {
		if msgs, err = s.refreshEvent(ctx, c, rt, req); err != nil {
			if errors.Is(err, ErrVetoed) {
				ev.outcome = "vetoed"
				s.emit(ctx, ev)
			}
			return Tokens{}, err
		}
	}

	var value string
	committed := false
	switch {
	case st != stCurrent:
		value, err = s.previousValue(ctx, rt, v, st, gen, c, now, ev, req)
	case c.set.Usage == usageReusable:
		read := rt.ExpiresAt
		rt.ExpiresAt = c.set.refreshExpiry(rt.StartInstant, now)
		value, err = raw, s.cfg.Store.TouchRefreshToken(ctx, rt.ID, now, rt.ExpiresAt, read)
	default:
		value, rt, committed, err = s.rotate(ctx, rt, v, gen, c.set, now, msgs)
	}
	if errors.Is(err, ErrRefreshNotFound) || errors.Is(err, storage.ErrNotFound) {
		return refuse("consumed")
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: use refresh token: %w", err)
	}
	if committed {
		s.cfg.Events.Committed(msgs)
	} else if err := s.publish(ctx, msgs); err != nil {
		return Tokens{}, err
	}

	// Roles come from the registration and the groups as they are now, so a role change shows
	// on the next refresh (security-bar R12); auth_time stays the login's.
	g := grant{tenant: c.tenant, app: c.app, user: c.user, reg: c.reg, groupRoles: c.groups, authType: authRefreshToken,
		authTime: rt.AuthTime, refreshID: rt.ID, oauth: req.OAuth, scopes: scopes, set: c.set,
		jkt: rt.DPoPJKT}
	if g.jkt == "" {
		// An unbound refresh token presented with a proof: the new access
		// token is bound to the proof's key (RFC 9449 §5), the refresh
		// token stays as it was issued.
		g.jkt = req.DPoPJKT
	}
	if g.sessionID, err = s.refreshedSID(ctx, rt.ID, g); err != nil {
		return Tokens{}, err
	}
	out := Tokens{User: c.user, Application: c.app, Registered: true,
		RefreshToken: value, RefreshTokenID: rt.ID, RefreshExpiresAt: rt.ExpiresAt}
	if err := s.mint(ctx, g, now, &out); err != nil {
		return Tokens{}, err
	}
	ev.name, ev.outcome = evRefresh, "success"
	s.emit(ctx, ev)
	return out, nil
}

// refreshCtx is what a refresh re-reads: the application, tenant, user and
// registration as they are now.
type refreshCtx struct {
	app    storage.Application
	tenant storage.Tenant
	user   storage.User
	reg    *storage.Registration
	groups []string // roles the user's groups grant in app
	set    settings
}

// refreshContext completes the token's surroundings: the user (with its
// registrations, and whether an action may prevent its login) comes from
// the refresh's one read, the application and tenant from the caches.
// storage.ErrNotFound means the token must be refused: the application is
// gone or inactive, the user inactive or expired, or no longer registered;
// errLoginPrevented, that a user action prevents the login.
func (s *Service) refreshContext(ctx context.Context, rt storage.RefreshToken, sess storage.RefreshSession) (refreshCtx, error) {
	var c refreshCtx
	var err error
	if c.app, err = s.application(ctx, rt.ApplicationID); err != nil {
		return c, wrapLoad("application", err)
	}
	if !appActive(c.app) {
		return c, storage.ErrNotFound
	}
	tid := rt.TenantID
	if tid == "" {
		tid = c.app.TenantID
	}
	if c.tenant, err = s.tenant(ctx, tid); err != nil {
		return c, wrapLoad("tenant", err)
	}
	c.user = sess.User
	if !c.user.Active || (c.user.Expiry != 0 && s.cfg.Now().UnixMilli() >= c.user.Expiry) {
		return c, storage.ErrNotFound
	}
	if c.reg = findRegistration(c.user.Registrations, c.app.ID); c.reg == nil {
		return c, storage.ErrNotFound
	}
	if sess.MaybePrevented {
		// Only a user with an action in force: which applications it
		// prevents is read now.
		if err := s.refusePrevented(ctx, c.user.ID, c.app.ID); err != nil {
			return c, err
		}
	}
	if c.groups, err = s.groupRoles(ctx, c.app, c.user.ID); err != nil {
		return c, err
	}
	c.set = resolveSettings(c.tenant, c.app)
	return c, nil
}

func wrapLoad(what string, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return storage.ErrNotFound
	}
	return fmt.Errorf("auth: load %s: %w", what, err)
}

// narrowScopes applies RFC 6749 §6: a refresh may ask for a subset of the
// originally granted scopes, never more; none requested means all granted.
func narrowScopes(granted, requested []string) ([]string, bool) {
	if len(requested) == 0 {
		return granted, true
	}
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			return nil, false
		}
	}
	return requested, true
}

// equalHash compares two SHA-256 digests. They are digests of secrets, not
// the secrets, so a plain comparison leaks nothing useful.
func equalHash(a, b []byte) bool { return bytes.Equal(a, b) }

// refreshedSID is the login session of a code exchange's grant, for the
// sid of a refreshed id token: OIDC Core §12.2 keeps the claims of the
// original, and a relying party matching back-channel logout tokens by sid
// (OIDC Back-Channel Logout §2.4) must find the same session. "" when no id
// token is minted or the token came from a grant without a login session.
func (s *Service) refreshedSID(ctx context.Context, tokenID string, g grant) (string, error) {
	if !g.oauth || !slices.Contains(g.scopes, scopeOpenID) {
		return "", nil
	}
	sid, err := s.cfg.Store.GrantSession(ctx, tokenID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("auth: session of grant: %w", err)
	}
	return sid, nil
}

// policyExpiry is when the policy in force (set) ends rt: from its start
// under Fixed, from its last use under the sliding policies (capped by the
// maximum lifetime).
func policyExpiry(set settings, rt storage.RefreshToken) time.Time {
	last := rt.LastUsedAt
	if last.IsZero() {
		last = rt.StartInstant
	}
	return set.refreshExpiry(rt.StartInstant, last)
}
