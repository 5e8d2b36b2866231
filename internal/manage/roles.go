package manage

import (
	"context"
	"errors"
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
type Roles struct {
	Store RolesStore
	Cache ApplicationCache
	Now   func() time.Time
}

// Create adds role to application appID; roleID ("" generates one) comes
// from the path.
func (rs *Roles) Create(ctx context.Context, scope Scope, appID, roleID string, role storage.ApplicationRole) (storage.ApplicationRole, error) {
	app, err := scopedGet(ctx, rs.Store.GetApplication, appID, scope, applicationTenant)
	if err != nil {
		return role, err
	}
	if roleID == "" {
		roleID = newID()
	}
	now := rs.Now().UnixMilli()
	role.ID, role.InsertInstant, role.LastUpdateInstant = roleID, now, now
	e := checkRole(app, role)
	if slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == roleID }) {
		e.Field("duplicate", "roleId", "A role with Id ["+roleID+"] already exists.")
	}
	if err := e.Err(); err != nil {
		return role, err
	}
	app.Roles = append(slices.Clone(app.Roles), role)
	return role, rs.save(ctx, app, storage.RoleChange{Application: app, RoleID: role.ID},
		"Created the role ["+role.Name+"] of the application with Id ["+app.ID+"]", nil, role)
}

// Update replaces the role roleID of appID with change's result (PUT, or a
// PATCH applied to the current role). A new name is carried into every
// registration of the application.
func (rs *Roles) Update(ctx context.Context, scope Scope, appID, roleID string, change func(storage.ApplicationRole) (storage.ApplicationRole, error)) (storage.ApplicationRole, error) {
	app, i, err := rs.find(ctx, scope, appID, roleID)
	if err != nil {
		return storage.ApplicationRole{}, err
	}
	cur := app.Roles[i]
	role, err := change(cur)
	if err != nil {
		return role, err
	}
	role.ID, role.InsertInstant, role.LastUpdateInstant = cur.ID, cur.InsertInstant, rs.Now().UnixMilli()
	if err := checkRole(app, role).Err(); err != nil {
		return role, err
	}
	app.Roles = slices.Clone(app.Roles)
	app.Roles[i] = role
	return role, rs.save(ctx, app, storage.RoleChange{Application: app, RoleID: role.ID, OldName: cur.Name},
		"Updated the role ["+role.Name+"] of the application with Id ["+app.ID+"]", cur, role)
}

// Delete removes the role roleID, or when roleID is "" the role named name
// (DELETE /api/application/{id}/role?name=), from the application, its
// registrations and its groups.
func (rs *Roles) Delete(ctx context.Context, scope Scope, appID, roleID, name string) error {
	app, i, err := rs.find(ctx, scope, appID, roleID)
	if roleID == "" && errors.Is(err, ErrNotFound) && name != "" {
		app, i, err = rs.findName(ctx, scope, appID, name)
	}
	if err != nil {
		return err
	}
	role := app.Roles[i]
	app.Roles = slices.Delete(slices.Clone(app.Roles), i, i+1)
	return rs.save(ctx, app, storage.RoleChange{Application: app, RoleID: role.ID, OldName: role.Name, Deleted: true},
		"Deleted the role ["+role.Name+"] of the application with Id ["+app.ID+"]", role, nil)
}

// find returns the application and the index of its role roleID;
// ErrNotFound for either.
func (rs *Roles) find(ctx context.Context, scope Scope, appID, roleID string) (storage.Application, int, error) {
	app, err := scopedGet(ctx, rs.Store.GetApplication, appID, scope, applicationTenant)
	if err != nil {
		return app, 0, err
	}
	i := slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.ID == roleID })
	if i < 0 {
		return app, 0, ErrNotFound
	}
	return app, i, nil
}

func (rs *Roles) findName(ctx context.Context, scope Scope, appID, name string) (storage.Application, int, error) {
	app, err := scopedGet(ctx, rs.Store.GetApplication, appID, scope, applicationTenant)
	if err != nil {
		return app, 0, err
	}
	i := slices.IndexFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == name })
	if i < 0 {
		return app, 0, ErrNotFound
	}
	return app, i, nil
}

// save stores the application with the role change and its audit entry,
// and clears this node's cached copy of the application.
func (rs *Roles) save(ctx context.Context, app storage.Application, c storage.RoleChange, message string, oldRole, newRole any) error {
	app.LastUpdateInstant = rs.Now().UnixMilli()
	c.Application = app
	err := rs.Store.ChangeApplicationRole(ctx, c, audit(ctx, rs.Now(), app.TenantID, message, oldRole, newRole))
	rs.Cache.ForgetApplication(app.ID)
	return notFound(err)
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
