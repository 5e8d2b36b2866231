package manage

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ActionsStore is what Actions uses.
type ActionsStore interface {
	tenantReader
	applicationReader
	userReader
	GetUserAction(ctx context.Context, id string) (storage.UserAction, error)
	TakeUserActionWith(ctx context.Context, a storage.ActionTaking) ([]storage.RefreshToken, error)
	GetUserActionLog(ctx context.Context, id string) (storage.UserActionLog, error)
	ListUserActionLogs(ctx context.Context, userID string) ([]storage.UserActionLog, error)
	UpdateUserActionLogWith(ctx context.Context, l storage.UserActionLog, outbox []storage.OutboxMessage, audit ...storage.AuditEntry) error
	DueUserActionEnds(ctx context.Context, now int64, limit int) ([]storage.UserActionLog, error)
	EndUserActionWith(ctx context.Context, l storage.UserActionLog, outbox []storage.OutboxMessage) (bool, error)
}

// Actions is taking user actions on users (actioning-users.mdx): the
// console's lock and unlock are a temporal action that prevents login,
// taken and cancelled.
type Actions struct {
	Store ActionsStore
	Now   func() time.Time
	// Events publishes user.action (nil: none); Revokes prepares the
	// jwt.refresh-token.revoke of a lock that ends sessions.
	Events  *events.Publisher
	Revokes RevokeEventer
}

// ActionRequest is the action of POST /api/user/action, and of a modify or
// cancel (which read only ActionerUserID, Comment, Expiry and the flags).
type ActionRequest struct {
	ActioneeUserID string   `json:"actioneeUserId"`
	ActionerUserID string   `json:"actionerUserId"`
	UserActionID   string   `json:"userActionId"`
	ApplicationIDs []string `json:"applicationIds"`
	Comment        string   `json:"comment"`
	EmailUser      bool     `json:"emailUser"`
	NotifyUser     bool     `json:"notifyUser"`
	Expiry         int64    `json:"expiry"`
	Option         string   `json:"option"`
	ReasonID       string   `json:"reasonId"`
}

// Take takes an action on a user of the caller's scope. A temporal action
// needs an expiry in the future; one that prevents login revokes the user's
// sessions (of its applications, when it names some) in the same
// transaction when the tenant's refreshTokenRevocationPolicy.onLoginPrevented
// says so (the default), so a lock ends every session at once.
func (as *Actions) Take(ctx context.Context, scope Scope, in ActionRequest) (storage.UserActionLog, error) {
	e := &Invalid{}
	now := as.Now().UnixMilli()
	user, def, err := as.check(ctx, scope, in, now, e)
	if err != nil {
		return storage.UserActionLog{}, err
	}
	if err := e.Err(); err != nil {
		return storage.UserActionLog{}, err
	}
	l := storage.UserActionLog{ID: newID(), TenantID: user.TenantID, ActioneeUserID: user.ID, ActionerUserID: in.ActionerUserID,
		ApplicationIDs: nonNil(lowerIDs(in.ApplicationIDs)), Comment: in.Comment, InsertInstant: now, Name: def.Name,
		LocalizedName: def.Name, UserActionID: def.ID, PreventLogin: def.PreventLogin, Temporal: def.Temporal, Option: in.Option,
		SendEndEvent: def.Temporal && def.SendEndEvent}
	if in.Option != "" {
		l.LocalizedOption = in.Option
	}
	if def.Temporal {
		l.Expiry = in.Expiry
	}
	l.History.HistoryItems = []storage.UserActionHistoryItem{{ActionerUserID: in.ActionerUserID, Comment: in.Comment, CreateInstant: now, Expiry: l.Expiry}}
	var revoke *storage.SessionRevocation
	if def.PreventLogin {
		tenant, err := as.Store.GetTenant(ctx, user.TenantID)
		if err != nil {
			return l, err
		}
		if tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnLoginPrevented {
			revoke = &storage.SessionRevocation{UserID: user.ID, ApplicationIDs: l.ApplicationIDs, At: as.Now(), Reason: "login_prevented"}
		}
	}
	evs, err := as.actionEvents(ctx, l, in, phaseStart, &user, revoke)
	if err != nil {
		return l, err
	}
	_, err = as.Store.TakeUserActionWith(ctx, storage.ActionTaking{Log: l, Revoke: revoke, Outbox: evs,
		Audit: []storage.AuditEntry{audit(ctx, as.Now(), user.TenantID, "Took the action ["+def.Name+"] on the user with Id ["+user.ID+"]", nil, l)}})
	if errors.Is(err, storage.ErrNotFound) {
		return l, invalid("invalid", "action.actioneeUserId", "No user exists with Id ["+in.ActioneeUserID+"].")
	}
	if err == nil {
		as.Events.Committed(evs)
	}
	return l, err
}

// check validates a take request and returns the user and the definition.
// Another tenant's user is refused exactly like an unknown one.
func (as *Actions) check(ctx context.Context, scope Scope, in ActionRequest, now int64, e *Invalid) (storage.User, storage.UserAction, error) {
	var user storage.User
	var def storage.UserAction
	u, err := as.user(ctx, scope, in.ActioneeUserID)
	switch {
	case errors.Is(err, ErrNotFound):
		e.Field("invalid", "action.actioneeUserId", "No user exists with Id ["+truncate(in.ActioneeUserID, 64)+"].")
	case err != nil:
		return user, def, err
	default:
		user = u
	}
	if in.ActionerUserID != "" {
		if _, err := as.user(ctx, scope, in.ActionerUserID); errors.Is(err, ErrNotFound) {
			e.Field("invalid", "action.actionerUserId", "No user exists with Id ["+truncate(in.ActionerUserID, 64)+"].")
		} else if err != nil {
			return user, def, err
		}
	}
	d, err := as.Store.GetUserAction(ctx, in.UserActionID)
	switch {
	case errors.Is(err, storage.ErrNotFound) || (err == nil && !d.Active) || !ValidID(in.UserActionID):
		e.Field("invalid", "action.userActionId", "No active user action exists with Id ["+truncate(in.UserActionID, 64)+"].")
	case err != nil:
		return user, def, err
	default:
		def = d
		checkTiming(e, d, in.Expiry, now)
		if in.Option != "" && !slices.ContainsFunc(d.Options, func(o storage.UserActionOption) bool { return o.Name == in.Option }) {
			e.Field("invalid", "action.option", "The user action has no option named ["+truncate(in.Option, 64)+"].")
		}
	}
	for _, id := range in.ApplicationIDs {
		if a, err := scopedGet(ctx, as.Store.GetApplication, id, scope, applicationTenant); errors.Is(err, ErrNotFound) || !ValidID(id) {
			e.Field("invalid", "action.applicationIds", "No application exists with Id ["+truncate(id, 64)+"].")
		} else if err != nil {
			return user, def, err
		} else if user.ID != "" && a.TenantID != user.TenantID {
			e.Field("invalid", "action.applicationIds", "The application ["+id+"] is not of the user's tenant.")
		}
	}
	checkDelivery(e, in)
	if in.ReasonID != "" {
		e.Field("invalid", "action.reasonId", "latchkey has no user action reasons; give a [comment] instead.")
	}
	return user, def, nil
}

// checkTiming: a temporal action ends at an expiry in the future (use
// 9223372036854775807 for never); any other action has none.
func checkTiming(e *Invalid, d storage.UserAction, expiry, now int64) {
	switch {
	case d.Temporal && expiry == 0:
		e.Field("blank", "action.expiry", "The user action is temporal: specify the [expiry] (ms since the epoch).")
	case d.Temporal && expiry <= now:
		e.Field("invalid", "action.expiry", "The [expiry] must be in the future.")
	}
}

// checkDelivery refuses what latchkey cannot do yet rather than ignoring it.
func checkDelivery(e *Invalid, in ActionRequest) {
	if in.EmailUser {
		e.Field("notSupported", "action.emailUser", "latchkey does not send user action emails.")
	}
}

func (as *Actions) user(ctx context.Context, scope Scope, id string) (storage.User, error) {
	if !ValidID(id) {
		return storage.User{}, ErrNotFound
	}
	return scopedGet(ctx, as.Store.GetUser, id, scope, userTenant)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
