package manage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The phases of user.action (FusionAuth's UserActionPhase): an action
// taken, a temporal action's new expiry, its cancellation, and its end at
// its expiry (SendEnds, run by the janitor, when the definition has
// sendEndEvent).
const (
	phaseStart  = "start"
	phaseModify = "modify"
	phaseCancel = "cancel"
	phaseEnd    = "end"
)

// SendEnds sends user.action with phase "end" for at most limit temporal
// actions that expired by now and whose definition had sendEndEvent when
// they were taken, and returns how many it ended. Each end is marked in
// the same transaction as its outbox rows, only while still due, so an end
// is sent once even if two passes overlap, and one cancelled or extended
// meanwhile is not sent. The janitor calls it, one node at a time. An end
// reports what has already happened: a transactional user.action
// configuration does not hold it back.
func (as *Actions) SendEnds(ctx context.Context, now time.Time, limit int) (int, error) {
	due, err := as.Store.DueUserActionEnds(ctx, now.UnixMilli(), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range due {
		var msgs []storage.OutboxMessage
		if as.Events != nil {
			pl, err := as.Events.Plan(ctx, l.TenantID, events.UserAction)
			if err != nil {
				return n, err
			}
			msgs, err = as.Events.Prepare(ctx, pl.Queued(), &events.Event{
				Action: l.Name, ActionID: l.UserActionID, ActioneeUserID: l.ActioneeUserID, ActionerUserID: l.ActionerUserID,
				ApplicationIDs: l.ApplicationIDs, Comment: l.Comment, Expiry: l.Expiry, Phase: phaseEnd,
				LocalizedAction: l.LocalizedName, Option: l.Option, LocalizedOption: l.LocalizedOption,
				EmailedUser: &l.EmailUserOnEnd, NotifyUser: &l.NotifyUserOnEnd})
			if err != nil {
				return n, err
			}
		}
		ended, err := as.Store.EndUserActionWith(ctx, l, msgs)
		if err != nil {
			return n, err
		}
		if ended {
			n++
			as.Events.Committed(msgs)
		}
	}
	return n, nil
}

// actionEvents prepares user.action for l in phase and, when revoke is set,
// the jwt.refresh-token.revoke of the sessions it ends, for the write that
// stores l. A transactional user.action is delivered here, before the
// write, and may refuse it (events.VetoError).
func (as *Actions) actionEvents(ctx context.Context, l storage.UserActionLog, in ActionRequest, phase string,
	user *storage.User, revoke *storage.SessionRevocation) ([]storage.OutboxMessage, error) {
	msgs, err := eventMessages(ctx, as.Events, l.TenantID, events.UserAction, func(ev *events.Event) {
		ev.Action, ev.ActionID, ev.ActioneeUserID, ev.ActionerUserID = l.Name, l.UserActionID, l.ActioneeUserID, in.ActionerUserID
		ev.ApplicationIDs, ev.Comment, ev.Expiry, ev.Phase = l.ApplicationIDs, in.Comment, l.Expiry, phase
		ev.LocalizedAction, ev.Option, ev.LocalizedOption = l.LocalizedName, l.Option, l.LocalizedOption
		ev.EmailedUser, ev.NotifyUser = &in.EmailUser, &in.NotifyUser
		if !l.Temporal {
			ev.Expiry = 0
		}
	})
	if err != nil || revoke == nil {
		return msgs, err
	}
	f := storage.RefreshTokenFilter{UserID: revoke.UserID}
	if len(revoke.ApplicationIDs) == 1 {
		f.ApplicationID = revoke.ApplicationIDs[0]
	}
	revs, err := revokeEvents(ctx, as.Revokes, auth.Revoked{TenantID: l.TenantID, Filter: f, User: user})
	return append(msgs, revs...), err
}
