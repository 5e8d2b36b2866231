package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A child (tenant.familyConfiguration.maximumChildAge, "the maximum age of
// a child") is a user whose birthDate makes them at most maximumChildAge
// years old today (UTC): born after childCut and not after today. A user
// without a birthDate is no child (the age cannot be shown); a birthDate
// in the future is no one's and refused at sign-up.

// childCut is the day on which a user turns maximumChildAge+1 years
// old today: a child is born after it.
func childCut(c storage.TenantFamilyConfiguration, now time.Time) (after, today string) {
	now = now.UTC()
	return now.AddDate(-(c.MaximumChildAge + 1), 0, 0).Format(time.DateOnly), now.Format(time.DateOnly)
}

// maxHumanAge bounds a signed-up birthDate: older is no person's.
const maxHumanAge = 150

// signUpChild applies the tenant's child rules to a keyless sign-up of u
// while families are enabled: a birthDate in the future or more than
// maxHumanAge years back is [invalid]user.birthDate; a child is refused
// with [ChildRegistrationNotAllowed] while allowChildRegistrations is
// false, and needs a parentEmail ([blank]user.parentEmail) while
// parentEmailRequired is true. It reports whether u is a child.
func signUpChild(e *Invalid, t storage.Tenant, u storage.User, now time.Time) bool {
	c := t.Family()
	if !c.Enabled || u.BirthDate == "" {
		return false
	}
	b, err := time.Parse(time.DateOnly, u.BirthDate)
	if err != nil {
		return false // checkBirthDate refused it
	}
	after, today := childCut(c, now)
	if u.BirthDate > today || b.Before(now.UTC().AddDate(-maxHumanAge, 0, 0)) {
		e.Field("invalid", "user.birthDate", "The [user.birthDate] property must be a date in the past "+itoa(maxHumanAge)+" years.")
		return false
	}
	if u.BirthDate <= after {
		return false
	}
	if !*c.AllowChildRegistrations {
		e.General("ChildRegistrationNotAllowed", "The tenant does not allow children to sign up (tenant.familyConfiguration.allowChildRegistrations); a parent must create the account.")
		return true
	}
	if c.ParentEmailRequired && u.ParentEmail == "" {
		e.Field("blank", "user.parentEmail", "You must specify the [user.parentEmail] property.")
	}
	return true
}

// parentMail is the mail a child's sign-up sends to its parentEmail, to be
// stored with the account: the tenant's confirmChildEmailTemplateId when
// a user of the tenant has that address (the template sees child, parent
// and user, the parent, as FusionAuth's Confirm Child), else its
// parentRegistrationEmailTemplateId (child only, as FusionAuth's Parent
// Registration Request). None when the template is not named (FusionAuth:
// "none selected, disabled") or cannot be rendered (the log says so).
func (us *Users) parentMail(ctx context.Context, t storage.Tenant, child storage.User) ([]storage.OutboxMessage, error) {
	if child.ParentEmail == "" {
		return nil, nil
	}
	c := t.Family()
	parent, err := us.Store.FindUser(ctx, storage.UserFilter{TenantID: t.ID, Email: child.ParentEmail})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	hasParent := err == nil
	child.Registrations = nil
	vars := map[string]any{"child": child}
	kind, id, to := "confirm child", c.ConfirmChildEmailTemplateID, parent
	if hasParent {
		parent.Registrations = nil
		vars["parent"] = parent
	} else {
		kind, id = "parent registration", c.ParentRegistrationEmailTemplateID
		to = storage.User{TenantID: t.ID, Email: child.ParentEmail}
		vars["user"] = nil
	}
	k := mailKind{name: kind, optional: true,
		tenant: func(storage.EmailTemplateIDs) string { return id },
		app:    func(storage.Application) string { return "" }}
	m, ok, err := us.Mail.message(ctx, k, MailFor{Tenant: t, User: to}, vars, us.Now())
	if err != nil || !ok {
		return nil, err
	}
	return []storage.OutboxMessage{m}, nil
}

// MaxOrphansPerPass bounds the children one janitor pass deletes: each is
// a user's whole delete (sessions, registrations, families) in its own
// transaction.
const MaxOrphansPerPass = 100

// PurgeOrphans is the janitor's task orphaned_children: in each tenant with
// families enabled and deleteOrphanedAccounts, it deletes the children
// (by birthDate, childCut) created more than deleteOrphanedAccountsDays
// ago who are in no family with an adult member (FusionAuth: a child
// without parental verification; a family whose owner left keeps its
// adults), at most MaxOrphansPerPass (and limit) in all, each as
// Users.Delete does: with user.delete and jwt.refresh-token.revoke for
// the webhooks and an audit entry, in the delete's transaction. The
// tenants are read at every pass.
func (fs *Families) PurgeOrphans(ctx context.Context, now time.Time, limit int) (int, error) {
	tenants, err := fs.Store.ListTenants(ctx)
	if err != nil {
		return 0, err
	}
	left := min(limit, MaxOrphansPerPass)
	done := 0
	for _, t := range tenants {
		c := t.Family()
		if !c.Enabled || !c.DeleteOrphanedAccounts || left <= 0 {
			continue
		}
		after, today := childCut(c, now)
		o := storage.OrphanedChildren{TenantID: t.ID, BornAfter: after, BornBy: today,
			CreatedBefore: now.AddDate(0, 0, -c.DeleteOrphanedAccountsDays).UnixMilli(), Limit: left, At: now}
		ids, err := fs.Store.ListOrphanedChildren(ctx, o)
		if err != nil {
			return done, err
		}
		for _, id := range ids {
			ok, err := fs.deleteOrphan(ctx, o, id, c.DeleteOrphanedAccountsDays)
			if err != nil {
				return done, err
			}
			if ok {
				done++
				left--
			}
		}
	}
	return done, nil
}

// deleteOrphan deletes the orphaned child id with the events Users.Delete
// sends, if it is still one under its row lock.
func (fs *Families) deleteOrphan(ctx context.Context, o storage.OrphanedChildren, id string, days int) (bool, error) {
	us := fs.Users
	u, err := us.Store.GetUser(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	evs, err := us.userEventWithRegistrations(ctx, events.UserDelete, u)
	if err != nil {
		return false, err
	}
	revs, err := us.revokeUserEvents(ctx, u)
	if err != nil {
		return false, err
	}
	evs = append(evs, revs...)
	ok, err := fs.Store.DeleteOrphanedChild(ctx, o, storage.OrphanDelete{UserID: id, Outbox: evs,
		Audit: []storage.AuditEntry{audit(ctx, o.At, o.TenantID, "Deleted the user with Id ["+id+"]: a child in no family with an adult "+itoa(days)+
			" days after signing up (tenant.familyConfiguration.deleteOrphanedAccounts)", u, nil)}})
	if err != nil || !ok {
		return false, err
	}
	us.Events.Committed(evs)
	return true, nil
}
