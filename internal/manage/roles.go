package manage

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RolesStore is what Roles uses.
type RolesStore interface {
	applicationReader
	ChangeApplicationRole(ctx context.Context, c storage.RoleChange, audit ...storage.AuditEntry) error
}

// Roles is the application role API (create-application-role.mdx,
// update-application-role.mdx, delete-application-role.mdx). A role lives
// in its application; registrations name it by name and groups by id, and a
// rename or a deletion reaches both in the transaction of the change
// (storage.ChangeApplicationRole). isDefault roles are given to a
// registration made without roles (checkRoles); isSuperRole is a flag for
// the application, which latchkey stores and shows and enforces nothing
// with, as FusionAuth.
//
// Each change is a read-modify-write of the whole application, written
// only while the application is as it was read (its revision) and tried
// again on the application as it is then (retryStale): of concurrent role
// changes and application updates, each one answered 200 is kept.
type Roles struct {
	Store RolesStore
	Cache ApplicationCache
	Now   func() time.Time

	updates recordLocks // changes, by application id
}

// roleEdit is one try's role change: the application after it, the
// change for the store, and the audit entry's message and old and new
// values (the role before and after; nil when there is none).
type roleEdit struct {
	app              storage.Application
	change           storage.RoleChange
	message          string
	oldRole, newRole any
}

// Create adds role to application appID; roleID ("" generates one) comes
// from the path.
func (rs *Roles) Create(ctx context.Context, scope Scope, appID, roleID string, role storage.ApplicationRole) (storage.ApplicationRole, error) {
	if roleID == "" {
		roleID = newID()
	}
	now := rs.Now().UnixMilli()
	role.ID, role.InsertInstant, role.LastUpdateInstant = roleID, now, now
	err := rs.change(ctx, scope, appID, func(app storage.Application) (roleEdit, error) {
		e := checkRole(app, role)
		if slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == roleID }) {
			e.Field("duplicate", "roleId", "A role with Id ["+roleID+"] already exists.")
		}
		app.Roles = append(slices.Clone(app.Roles), role)
		return roleEdit{app, storage.RoleChange{RoleID: role.ID},
			"Created the role [" + role.Name + "] of the application with Id [" + app.ID + "]", nil, role}, e.Err()
	})
	return role, err
}

// Update replaces the role roleID of appID with change's result (PUT, or a
// PATCH applied to the current role); change runs once per try. A new
// name is carried into every registration of the application.
func (rs *Roles) Update(ctx context.Context, scope Scope, appID, roleID string, change func(storage.ApplicationRole) (storage.ApplicationRole, error)) (storage.ApplicationRole, error) {
	var role storage.ApplicationRole
	err := rs.change(ctx, scope, appID, func(app storage.Application) (roleEdit, error) {
		i := slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == roleID })
		if i < 0 {
			return roleEdit{}, ErrNotFound
		}
		cur := app.Roles[i]
		var err error
		if role, err = change(cur); err != nil {
			return roleEdit{}, err
		}
		role.ID, role.InsertInstant, role.LastUpdateInstant = cur.ID, cur.InsertInstant, rs.Now().UnixMilli()
		if err := checkRole(app, role).Err(); err != nil {
			return roleEdit{}, err
		}
		app.Roles = slices.Clone(app.Roles)
		app.Roles[i] = role
		return roleEdit{app, storage.RoleChange{RoleID: role.ID, OldName: cur.Name},
			"Updated the role [" + role.Name + "] of the application with Id [" + app.ID + "]", cur, role}, nil
	})
	return role, err
}

// Delete removes the role roleID, or when roleID is "" the role named name
// (DELETE /api/application/{id}/role?name=), from the application, its
// registrations and its groups.
func (rs *Roles) Delete(ctx context.Context, scope Scope, appID, roleID, name string) error {
	return rs.change(ctx, scope, appID, func(app storage.Application) (roleEdit, error) {
		i := slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == roleID })
		if i < 0 && roleID == "" && name != "" {
			i = slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == name })
		}
		if i < 0 {
			return roleEdit{}, ErrNotFound
		}
		role := app.Roles[i]
		app.Roles = slices.Delete(slices.Clone(app.Roles), i, i+1)
		return roleEdit{app, storage.RoleChange{RoleID: role.ID, OldName: role.Name, Deleted: true},
			"Deleted the role [" + role.Name + "] of the application with Id [" + app.ID + "]", role, nil}, nil
	})
}

// change is a role change of application appID: each try reads the
// application (ErrNotFound outside scope), applies edit and stores the
// result with the change and its audit entry, on the condition that the
// application's revision is still the one read (retryStale). This node's
// changes of one application queue behind each other; its cached copy is
// cleared whatever the outcome.
func (rs *Roles) change(ctx context.Context, scope Scope, appID string, edit func(app storage.Application) (roleEdit, error)) error {
	unlock := rs.updates.lock(strings.ToLower(appID))
	defer unlock()
	defer rs.Cache.ForgetApplication(appID)
	return retryStale(func() error {
		app, err := scopedGet(ctx, rs.Store.GetApplication, appID, scope, applicationTenant)
		if err != nil {
			return err
		}
		ed, err := edit(app)
		if err != nil {
			return err
		}
		ed.app.Revision, ed.app.LastUpdateInstant = app.Revision, rs.Now().UnixMilli()
		ed.change.Application = ed.app
		return notFound(rs.Store.ChangeApplicationRole(ctx, ed.change, audit(ctx, rs.Now(), ed.app.TenantID, ed.message, ed.oldRole, ed.newRole)))
	})
}

// checkRole validates a role against the application's others: a name is
// required, without control characters, and unique in the application.
func checkRole(app storage.Application, role storage.ApplicationRole) *Invalid {
	e := &Invalid{}
	switch {
	case strings.TrimSpace(role.Name) == "":
		e.Field("blank", "role.name", "You must specify the [role.name] property.")
	case len(role.Name) > 191 || strings.IndexFunc(role.Name, isControl) >= 0:
		e.Field("invalid", "role.name", "The [role.name] property is too long or contains control characters.")
	case slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == role.Name && r.ID != role.ID }):
		e.Field("duplicate", "role.name", "The application already has a role named ["+truncate(role.Name, 64)+"].")
	}
	return e
}

func isControl(r rune) bool { return unicode.IsControl(r) }
