package manage

import (
	"context"
	"errors"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func actionTenant(l storage.UserActionLog) string { return l.TenantID }

// Get returns one action taken; ErrNotFound outside scope.
func (as *Actions) Get(ctx context.Context, scope Scope, id string) (storage.UserActionLog, error) {
	return scopedGet(ctx, as.Store.GetUserActionLog, id, scope, actionTenant)
}

// ActionFilter selects the actions List returns (actioning-users.mdx,
// "Retrieve a previously taken action").
type ActionFilter struct {
	// Active: nil all; true only actions in force (temporal, not cancelled,
	// not expired); false only the others (ended, cancelled, not temporal).
	Active *bool
	// PreventingLogin: only actions in force that prevent login.
	PreventingLogin bool
}

// List returns the actions taken on userID, oldest first.
func (as *Actions) List(ctx context.Context, scope Scope, userID string, f ActionFilter) ([]storage.UserActionLog, error) {
	u, err := as.user(ctx, scope, userID)
	if err != nil {
		return nil, err
	}
	logs, err := as.Store.ListUserActionLogs(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := as.Now().UnixMilli()
	return slices.DeleteFunc(logs, func(l storage.UserActionLog) bool {
		active := l.ActiveAt(now)
		return (f.Active != nil && *f.Active != active) || (f.PreventingLogin && !(active && l.PreventLogin))
	}), nil
}

// Modify changes a temporal action in force: a new expiry and comment,
// recorded in its history (PUT /api/user/action/{id}).
func (as *Actions) Modify(ctx context.Context, scope Scope, id string, in ActionRequest) (storage.UserActionLog, error) {
	return as.change(ctx, scope, id, in, false)
}

// Cancel ends a temporal action in force now (DELETE /api/user/action/{id});
// a lock stops preventing login at once.
func (as *Actions) Cancel(ctx context.Context, scope Scope, id string, in ActionRequest) (storage.UserActionLog, error) {
	return as.change(ctx, scope, id, in, true)
}

// change is Modify or Cancel. The write holds only while the action is
// as it was read (its revision; storage.ErrStale otherwise), and each try
// of retryStale reads it again, checks it again and computes its events
// and audit again: a modify that lost to a cancel answered 200 finds the
// action ended and gets the 400 below instead of undoing the cancel.
func (as *Actions) change(ctx context.Context, scope Scope, id string, in ActionRequest, cancel bool) (storage.UserActionLog, error) {
	var l storage.UserActionLog
	err := retryStale(func() error {
		var err error
		l, err = as.changeOnce(ctx, scope, id, in, cancel)
		return err
	})
	return l, err
}

// changeOnce is one try of change: read, check, write on the condition
// that the action's revision is still the one read.
func (as *Actions) changeOnce(ctx context.Context, scope Scope, id string, in ActionRequest, cancel bool) (storage.UserActionLog, error) {
	cur, err := as.Get(ctx, scope, id)
	if err != nil {
		return cur, err
	}
	now := as.Now().UnixMilli()
	e := &Invalid{}
	switch {
	case !cur.Temporal:
		e.General("invalid", "Only a temporal action can be modified or cancelled.")
	case !cur.ActiveAt(now):
		e.General("invalid", "The action has ended or was cancelled.")
	}
	if in.ActionerUserID != "" {
		if _, err := as.user(ctx, scope, in.ActionerUserID); errors.Is(err, ErrNotFound) {
			e.Field("invalid", "action.actionerUserId", "No user exists with Id ["+truncate(in.ActionerUserID, 64)+"].")
		} else if err != nil {
			return cur, err
		}
	}
	expiry := now
	if !cancel {
		expiry = in.Expiry
		if expiry == 0 {
			expiry = cur.Expiry
		}
		if expiry <= now {
			e.Field("invalid", "action.expiry", "The [expiry] must be in the future.")
		}
	}
	checkDelivery(e, in)
	if err := e.Err(); err != nil {
		return cur, err
	}
	l := cur
	l.Expiry, l.Canceled = expiry, cancel
	if in.Comment != "" {
		l.Comment = in.Comment
	}
	l.History.HistoryItems = append(slices.Clone(cur.History.HistoryItems),
		storage.UserActionHistoryItem{ActionerUserID: in.ActionerUserID, Comment: in.Comment, CreateInstant: now, Expiry: expiry})
	verb := "Modified"
	if cancel {
		verb = "Cancelled"
	}
	phase := phaseModify
	if cancel {
		phase = phaseCancel
	}
	evs, err := as.actionEvents(ctx, l, in, phase, nil, nil)
	if err != nil {
		return l, err
	}
	err = as.Store.UpdateUserActionLogWith(ctx, l, evs, audit(ctx, as.Now(), l.TenantID,
		verb+" the action ["+l.Name+"] on the user with Id ["+l.ActioneeUserID+"]", cur, l))
	if err == nil {
		as.Events.Committed(evs)
	}
	return l, notFound(err)
}
