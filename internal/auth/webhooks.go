package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The webhook events of the token path (internal/events). Each is planned
// first: when no webhook wants its type the plan is empty, nothing is built
// and nothing written, so logins and refreshes cost what they cost without
// webhooks. Otherwise the event's outbox messages ride in the write that
// stores what it reports (RecordLogin, UndoLogin, RotateRefreshToken,
// RevokeRefreshTokensWith); where nothing is stored (a Reusable token's
// refresh, a retry in the grace period) they are stored on their own before
// the answer leaves.

// ErrVetoed: a transactional event's webhooks refused the login or refresh
// (events.VetoError; FusionAuth answers 504).
var ErrVetoed = events.ErrVetoed

// Tenant returns a tenant through the service's cache (the webhook
// publisher reads eventConfiguration with it).
func (s *Service) Tenant(ctx context.Context, id string) (storage.Tenant, error) {
	return s.tenant(ctx, id)
}

// prepare builds the event of plan pl with fill and returns its messages,
// or nothing when pl is empty.
func (s *Service) prepare(ctx context.Context, pl events.Plan, fill func(*events.Event)) ([]storage.OutboxMessage, error) {
	if pl.Empty() {
		return nil, nil
	}
	ev := &events.Event{}
	fill(ev)
	return s.cfg.Events.Prepare(ctx, pl, ev)
}

// plan is PlanFor with the error wrapped.
func (s *Service) plan(ctx context.Context, t storage.Tenant, typ string) (events.Plan, error) {
	pl, err := s.cfg.Events.PlanFor(ctx, t, typ)
	if err != nil {
		return pl, fmt.Errorf("auth: plan %s: %w", typ, err)
	}
	return pl, nil
}

// loginSuccess prepares user.login.success for a login about to be
// recorded (its user as after the login).
func (s *Service) loginSuccess(ctx context.Context, pl events.Plan, req LoginRequest, app storage.Application, user storage.User, authType string) ([]storage.OutboxMessage, error) {
	return s.prepare(ctx, pl, func(ev *events.Event) {
		ev.ApplicationID, ev.AuthenticationType, ev.IPAddress = app.ID, authType, req.IPAddress
		ev.Info, ev.User = events.Source(req.IPAddress, req.UserAgent), events.UserView(user)
		if p := req.provider; p != nil {
			// FusionAuth's event names the identity provider by id and name.
			ev.IdentityProviderID, ev.IdentityProviderName = p.ID, p.Name
		}
	})
}

// loginFailed prepares user.login.failed for a refused guess at an
// existing account (FusionAuth sends none for an unknown login id).
func (s *Service) loginFailed(ctx context.Context, t storage.Tenant, req LoginRequest, appID string, user storage.User) ([]storage.OutboxMessage, error) {
	pl, err := s.plan(ctx, t, events.UserLoginFailed)
	if err != nil {
		return nil, err
	}
	return s.prepare(ctx, pl, func(ev *events.Event) {
		ev.ApplicationID, ev.AuthenticationType, ev.IPAddress = appID, authPassword, req.IPAddress
		ev.Info, ev.User, ev.Reason = events.Source(req.IPAddress, req.UserAgent), events.UserView(user), &events.Reason{Code: "credentials"}
	})
}

// publish stores messages prepared for an event whose cause stored
// nothing, and wakes the worker.
func (s *Service) publish(ctx context.Context, msgs []storage.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.enqueue(ctx, msgs)
}

// enqueue stores msgs in the outbox (none: an empty commit) beyond the
// request's cancellation, and wakes the worker.
func (s *Service) enqueue(ctx context.Context, msgs []storage.OutboxMessage) error {
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := s.cfg.Store.EnqueueOutbox(wctx, msgs...); err != nil {
		return fmt.Errorf("auth: store events: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	return nil
}

// revokeEvents prepares jwt.refresh-token.revoke (and, for reuse, latchkey's
// jwt.refresh-token.reuse) for revoking f's tokens; rt is the token the
// request presented, user the user when the caller holds them.
func (s *Service) revokeEvents(ctx context.Context, t storage.Tenant, f storage.RefreshTokenFilter, rt storage.RefreshToken,
	user *storage.User, ip, ua string, reuse bool) ([]storage.OutboxMessage, error) {
	pl, err := s.plan(ctx, t, events.JWTRefreshTokenRevoke)
	if err != nil {
		return nil, err
	}
	msgs, err := s.prepare(ctx, pl, func(ev *events.Event) {
		ev.UserID, ev.Info = rt.UserID, events.Source(ip, ua)
		ev.ApplicationTimeToLiveInSeconds = s.accessTTLs(ctx, t, f, rt)
		if f.ID != "" {
			ev.ApplicationID, ev.RefreshToken = rt.ApplicationID, events.TokenView(rt)
		} else if f.ApplicationID != "" {
			ev.ApplicationID = f.ApplicationID
		}
		if user != nil {
			ev.User = events.UserView(*user)
		}
	})
	if err != nil || !reuse {
		return msgs, err
	}
	pl, err = s.plan(ctx, t, events.JWTRefreshTokenReuse)
	if err != nil {
		return nil, err
	}
	more, err := s.prepare(ctx, pl, func(ev *events.Event) {
		ev.UserID, ev.ApplicationID, ev.RefreshTokenID, ev.IPAddress = rt.UserID, rt.ApplicationID, rt.ID, ip
		ev.Info, ev.RefreshToken = events.Source(ip, ua), events.TokenView(rt)
	})
	return append(msgs, more...), err
}

// accessTTLs is the event's applicationTimeToLiveInSeconds: how long access
// tokens of each affected application may still be valid. For a revocation
// of every session of a user, the applications they are registered for.
func (s *Service) accessTTLs(ctx context.Context, t storage.Tenant, f storage.RefreshTokenFilter, rt storage.RefreshToken) map[string]int {
	apps := []string{rt.ApplicationID}
	if f.ID == "" && f.ApplicationID == "" {
		if regs, err := s.cfg.Store.ListRegistrations(ctx, rt.UserID); err == nil {
			apps = apps[:0]
			for _, r := range regs {
				apps = append(apps, r.ApplicationID)
			}
		}
	}
	out := map[string]int{}
	for _, id := range apps {
		if a, err := s.application(ctx, id); err == nil && id != "" {
			out[id] = int(resolveSettings(t, a).AccessTTL.Seconds())
		}
	}
	return out
}

// refreshEvent prepares jwt.refresh for a refresh about to be answered.
// FusionAuth's event carries the old and new token values; latchkey's names
// the session (refreshTokenId) instead, since no token value may rest in
// an outbox row.
func (s *Service) refreshEvent(ctx context.Context, c refreshCtx, rt storage.RefreshToken, req RefreshRequest) ([]storage.OutboxMessage, error) {
	pl, err := s.plan(ctx, c.tenant, events.JWTRefresh)
	if err != nil {
		return nil, err
	}
	return s.prepare(ctx, pl, func(ev *events.Event) {
		ev.ApplicationID, ev.UserID, ev.RefreshTokenID = rt.ApplicationID, rt.UserID, rt.ID
		ev.Info = events.Source(req.IPAddress, req.UserAgent)
	})
}

// Revoked names sessions a caller is about to revoke, for the
// jwt.refresh-token.revoke event it commits with the revocation: Token when
// one token is named (Filter.ID), else Filter names a user, an application
// or both. User, when known, is carried as the event's user (FusionAuth's
// event holds the user for a user's revocation). TenantID may be empty: the
// token's, the user's, then the default tenant.
type Revoked struct {
	TenantID             string
	Filter               storage.RefreshTokenFilter
	Token                storage.RefreshToken
	User                 *storage.User
	IPAddress, UserAgent string
}

// RevokeEvents prepares jwt.refresh-token.revoke for r (nothing when no
// webhook wants it), for the caller to commit in the write that revokes:
// every revocation outside auth (a user's deactivation, deletion, password
// change, lock, second factor, a registration or application ending, the
// administrator's revoke) goes through it.
func (s *Service) RevokeEvents(ctx context.Context, r Revoked) ([]storage.OutboxMessage, error) {
	if s == nil || s.cfg.Events == nil {
		return nil, nil
	}
	rt := r.Token
	if rt.ID == "" {
		rt.UserID, rt.ApplicationID = r.Filter.UserID, r.Filter.ApplicationID
	}
	if r.User == nil && r.TenantID == "" && rt.TenantID == "" && rt.UserID != "" {
		// A user's revocation names the user's tenant and carries the user.
		if u, err := s.cfg.Store.GetUser(ctx, rt.UserID); err == nil {
			r.User = &u
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("auth: read user for revocation events: %w", err)
		}
	}
	tid := r.TenantID
	for _, c := range []string{rt.TenantID, userTenant(r.User), s.cfg.TenantID} {
		if tid == "" {
			tid = c
		}
	}
	t, err := s.tenant(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("auth: read tenant for revocation events: %w", err)
	}
	return s.revokeEvents(ctx, t, r.Filter, rt, r.User, r.IPAddress, r.UserAgent, false)
}

func userTenant(u *storage.User) string {
	if u == nil {
		return ""
	}
	return u.TenantID
}

// revokeOne revokes the token id (with its family) and commits its
// jwt.refresh-token.revoke with it. The token is read to describe it only
// when a publisher is wired; a token already gone revokes nothing and
// queues nothing.
func (s *Service) revokeOne(ctx context.Context, id, reason, ip string) ([]storage.RefreshToken, error) {
	f := storage.RefreshTokenFilter{ID: id}
	var msgs []storage.OutboxMessage
	if s.cfg.Events != nil {
		rt, err := s.cfg.Store.GetRefreshToken(ctx, id)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !rt.RevokedAt.IsZero()) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if msgs, err = s.RevokeEvents(ctx, Revoked{Filter: f, Token: rt, IPAddress: ip}); err != nil {
			return nil, err
		}
	}
	revoked, err := s.cfg.Store.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: f, At: s.cfg.Now(), Reason: reason, Outbox: msgs})
	if err != nil {
		return nil, err
	}
	s.cfg.Events.Committed(msgs)
	return revoked, nil
}

// sessionEvents adds jwt.refresh-token.revoke, one per token, to the
// messages notify queues when a login session ends (EndLoginSession calls
// it inside its transaction with the tokens it revoked); queued receives
// the events, for Committed.
func (s *Service) sessionEvents(ctx context.Context, ip string, notify func([]storage.RefreshToken) ([]storage.OutboxMessage, error),
	queued *[]storage.OutboxMessage) func([]storage.RefreshToken) ([]storage.OutboxMessage, error) {
	return func(revoked []storage.RefreshToken) ([]storage.OutboxMessage, error) {
		out, err := notify(revoked)
		if err != nil {
			return nil, err
		}
		*queued = (*queued)[:0]
		for _, rt := range revoked {
			msgs, err := s.RevokeEvents(ctx, Revoked{Filter: storage.RefreshTokenFilter{ID: rt.ID}, Token: rt, IPAddress: ip})
			if err != nil {
				return nil, err
			}
			*queued = append(*queued, msgs...)
		}
		return append(out, *queued...), nil
	}
}

// RevokeSessions revokes r.Filter's sessions for reason and commits their
// jwt.refresh-token.revoke with the revocation (enabling a second factor).
func (s *Service) RevokeSessions(ctx context.Context, r Revoked, reason string) ([]storage.RefreshToken, error) {
	msgs, err := s.RevokeEvents(ctx, r)
	if err != nil {
		return nil, err
	}
	revoked, err := s.cfg.Store.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: r.Filter, At: s.cfg.Now(), Reason: reason, Outbox: msgs})
	if err != nil {
		return nil, fmt.Errorf("auth: revoke sessions: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	return revoked, nil
}
