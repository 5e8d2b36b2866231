package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// UserActionsStore is what UserActions uses.
type UserActionsStore interface {
	CreateUserAction(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error
	GetUserAction(ctx context.Context, id string) (storage.UserAction, error)
	ListUserActions(ctx context.Context) ([]storage.UserAction, error)
	UpdateUserAction(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error
	DeleteUserAction(ctx context.Context, id string, audit ...storage.AuditEntry) error
}

// UserActions is the user action definition API (user-actions.mdx).
// Definitions are global, as in FusionAuth; taking one on a user is
// Actions.
type UserActions struct {
	Store UserActionsStore
	Now   func() time.Time

	updates recordLocks // Update's and SetActive's, by definition id
}

var transactionTypes = []string{"", "None", "Any", "SimpleMajority", "SuperMajority", "AbsoluteMajority"}

// Create stores a new definition; id "" generates one. The server owns id,
// active and the instants.
func (ua *UserActions) Create(ctx context.Context, id string, a storage.UserAction) (storage.UserAction, error) {
	if id == "" {
		id = newID()
	}
	now := ua.Now().UnixMilli()
	a.ID, a.Active, a.InsertInstant, a.LastUpdateInstant = id, true, now, now
	e := checkUserAction(a)
	if _, err := ua.Store.GetUserAction(ctx, id); err == nil {
		e.Field("duplicate", "userActionId", "A user action with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return a, err
	}
	if err := e.Err(); err != nil {
		return a, err
	}
	err := ua.Store.CreateUserAction(ctx, a, audit(ctx, ua.Now(), "", "Created the user action with Id ["+a.ID+"]", nil, a))
	if errors.Is(err, storage.ErrConflict) {
		return a, invalid("duplicate", "userAction.name", "A user action named ["+truncate(a.Name, 64)+"] already exists.")
	}
	return a, err
}

// Get returns one definition.
func (ua *UserActions) Get(ctx context.Context, id string) (storage.UserAction, error) {
	a, err := ua.Store.GetUserAction(ctx, id)
	return a, notFound(err)
}

// List returns the active definitions, or the inactive ones.
func (ua *UserActions) List(ctx context.Context, inactive bool) ([]storage.UserAction, error) {
	all, err := ua.Store.ListUserActions(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a storage.UserAction) bool { return a.Active == inactive }), nil
}

// Update replaces definition id with change's result (PUT, or a PATCH
// applied to the current one). Actions already taken keep the flags they
// were taken with. A read-modify-write (recordLocks.rewrite): the write
// holds only while the definition is as read, so neither a concurrent
// change nor a deactivation answered before it is written over; change
// runs once per try.
func (ua *UserActions) Update(ctx context.Context, id string, change func(storage.UserAction) (storage.UserAction, error)) (storage.UserAction, error) {
	var a storage.UserAction
	err := ua.updates.rewrite(id, func() error {
		cur, err := ua.Get(ctx, id)
		if err != nil {
			return err
		}
		if a, err = change(cur); err != nil {
			return err
		}
		a.ID, a.Active, a.InsertInstant, a.LastUpdateInstant, a.Revision = cur.ID, cur.Active, cur.InsertInstant, ua.Now().UnixMilli(), cur.Revision
		return ua.store(ctx, "Updated", cur, a)
	})
	return a, err
}

// SetActive deactivates (the soft DELETE) or reactivates a definition. An
// inactive definition cannot be taken; actions already taken stay. A
// read-modify-write as Update.
func (ua *UserActions) SetActive(ctx context.Context, id string, active bool) (storage.UserAction, error) {
	var a storage.UserAction
	err := ua.updates.rewrite(id, func() error {
		cur, err := ua.Get(ctx, id)
		if err != nil {
			return err
		}
		a = cur
		a.Active, a.LastUpdateInstant = active, ua.Now().UnixMilli()
		verb := "Deactivated"
		if active {
			verb = "Reactivated"
		}
		return ua.store(ctx, verb, cur, a)
	})
	return a, err
}

// Delete removes a definition (DELETE ?hardDelete=true); actions taken keep
// their copy of its name.
func (ua *UserActions) Delete(ctx context.Context, id string) error {
	cur, err := ua.Get(ctx, id)
	if err != nil {
		return err
	}
	return notFound(ua.Store.DeleteUserAction(ctx, id, audit(ctx, ua.Now(), "", "Deleted the user action with Id ["+id+"]", cur, nil)))
}

func (ua *UserActions) store(ctx context.Context, verb string, old, a storage.UserAction) error {
	if err := checkUserAction(a).Err(); err != nil {
		return err
	}
	err := ua.Store.UpdateUserAction(ctx, a, audit(ctx, ua.Now(), "", verb+" the user action with Id ["+a.ID+"]", old, a))
	if errors.Is(err, storage.ErrConflict) {
		return invalid("duplicate", "userAction.name", "A user action named ["+truncate(a.Name, 64)+"] already exists.")
	}
	return notFound(err)
}

// checkUserAction validates a definition (_user-action-request-body.mdx).
// latchkey sends neither user-action emails nor events yet, so asking for
// them is refused rather than silently ignored.
func checkUserAction(a storage.UserAction) *Invalid {
	e := &Invalid{}
	if strings.TrimSpace(a.Name) == "" {
		e.Field("blank", "userAction.name", "You must specify the [userAction.name] property.")
	} else if len(a.Name) > 191 || strings.IndexFunc(a.Name, isControl) >= 0 {
		e.Field("invalid", "userAction.name", "The [userAction.name] property is too long or contains control characters.")
	}
	if a.PreventLogin && !a.Temporal {
		e.Field("invalid", "userAction.preventLogin", "An action that prevents login must be temporal (temporal=true), so it ends.")
	}
	if a.UserEmailingEnabled {
		e.Field("notSupported", "userAction.userEmailingEnabled", "latchkey does not send user action emails.")
	}
	if !slices.Contains(transactionTypes, a.TransactionType) {
		e.Field("invalid", "userAction.transactionType", "Use None, Any, SimpleMajority, SuperMajority or AbsoluteMajority.")
	}
	seen := map[string]bool{}
	for _, o := range a.Options {
		switch {
		case strings.TrimSpace(o.Name) == "":
			e.Field("blank", "userAction.options.name", "Every option needs a [name].")
		case seen[o.Name]:
			e.Field("duplicate", "userAction.options.name", "The option ["+truncate(o.Name, 64)+"] is listed twice.")
		}
		seen[o.Name] = true
	}
	return e
}
