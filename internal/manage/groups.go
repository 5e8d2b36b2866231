package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// GroupsStore is what Groups uses.
type GroupsStore interface {
	tenantReader
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	CreateGroup(ctx context.Context, g storage.Group, audit ...storage.AuditEntry) error
	GetGroup(ctx context.Context, id string) (storage.Group, error)
	ListGroups(ctx context.Context) ([]storage.Group, error)
	UpdateGroup(ctx context.Context, g storage.Group, audit ...storage.AuditEntry) error
	DeleteGroup(ctx context.Context, id string, audit ...storage.AuditEntry) error
}

// Groups is the group API (groups.mdx): named sets of users of one tenant
// whose application roles reach the tokens of members registered for those
// applications (internal/auth adds them to the roles claim).
type Groups struct {
	Store GroupsStore
	// Cache: a change to a group's roles clears the applications concerned,
	// whose cached group roles internal/auth keeps with them.
	Cache ApplicationCache
	Now   func() time.Time

	updates recordLocks // Update's, by group id
}

// GroupView is FusionAuth's group object: roles by application id, each a
// role object of the application.
type GroupView struct {
	ID                string                               `json:"id"`
	Name              string                               `json:"name"`
	Data              map[string]any                       `json:"data,omitempty"`
	Roles             map[string][]storage.ApplicationRole `json:"roles"`
	TenantID          string                               `json:"tenantId"`
	InsertInstant     int64                                `json:"insertInstant"`
	LastUpdateInstant int64                                `json:"lastUpdateInstant"`
	// Revision is the group's storage.Group.Revision as read (the
	// console's forms carry it). Never serialized.
	Revision int64 `json:"-"`
}

// GroupInput is a create or update request: the group and roleIds.
type GroupInput struct {
	Name    string
	Data    map[string]any
	RoleIDs []string
	// Revision is, for Update's change, the revision of the group as this
	// try read it (a console form checks it against the one it was opened
	// from); it is never written.
	Revision int64
}

func groupTenant(g storage.Group) string { return g.TenantID }

// Create stores a new group in the caller's tenant (the default tenant for
// an unscoped caller); id "" generates one.
func (gs *Groups) Create(ctx context.Context, scope Scope, id string, in GroupInput) (GroupView, error) {
	if id == "" {
		id = newID()
	}
	tenantID := scope.TenantID
	if tenantID == "" {
		tenantID = DefaultTenantID
	}
	now := gs.Now().UnixMilli()
	g := storage.Group{ID: id, TenantID: tenantID, Name: strings.TrimSpace(in.Name), Data: in.Data, InsertInstant: now, LastUpdateInstant: now}
	apps, e, err := gs.resolve(ctx, &g, in.RoleIDs)
	if err != nil {
		return GroupView{}, err
	}
	if _, err := gs.Store.GetGroup(ctx, id); err == nil {
		e.Field("duplicate", "groupId", "A group with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return GroupView{}, err
	}
	if err := e.Err(); err != nil {
		return GroupView{}, err
	}
	v := viewGroup(g, apps)
	err = gs.Store.CreateGroup(ctx, g, audit(ctx, gs.Now(), g.TenantID, "Created the group with Id ["+g.ID+"]", nil, v))
	if errors.Is(err, storage.ErrConflict) {
		return GroupView{}, invalid("duplicate", "group.name", "A group named ["+truncate(g.Name, 64)+"] already exists.")
	}
	gs.forget(g, storage.Group{})
	return v, err
}

// Get returns one group; ErrNotFound when unknown or outside scope.
func (gs *Groups) Get(ctx context.Context, scope Scope, id string) (GroupView, error) {
	g, err := scopedGet(ctx, gs.Store.GetGroup, id, scope, groupTenant)
	if err != nil {
		return GroupView{}, err
	}
	apps, err := gs.allApplications(ctx)
	if err != nil {
		return GroupView{}, err
	}
	return viewGroup(g, apps), nil
}

// List returns the groups scope sees whose name matches the pattern name
// ("" every group; '*' wildcards, plain text matches names containing it,
// case-insensitively: POST /api/group/search), ordered by name.
func (gs *Groups) List(ctx context.Context, scope Scope, name string) ([]GroupView, error) {
	groups, err := scopedList(ctx, gs.Store.ListGroups, scope, groupTenant)
	if err != nil {
		return nil, err
	}
	apps, err := gs.allApplications(ctx)
	if err != nil {
		return nil, err
	}
	out := []GroupView{}
	for _, g := range groups {
		if name == "" || MatchPattern(name, g.Name) {
			out = append(out, viewGroup(g, apps))
		}
	}
	return out, nil
}

// Update replaces name, data and roleIds of group id with change's result
// (PUT; a PATCH applied to the current values). A read-modify-write
// (recordLocks.rewrite): the write holds only while the group, its roles
// with it, is as read; change runs once per try.
func (gs *Groups) Update(ctx context.Context, scope Scope, id string, change func(GroupInput) (GroupInput, error)) (GroupView, error) {
	var v GroupView
	err := gs.updates.rewrite(id, func() error {
		var err error
		v, err = gs.updateOnce(ctx, scope, id, change)
		return err
	})
	if err != nil {
		return GroupView{}, err
	}
	return v, nil
}

// updateOnce is one try of Update; it clears the cached applications of
// the roles it changed once its write holds.
func (gs *Groups) updateOnce(ctx context.Context, scope Scope, id string, change func(GroupInput) (GroupInput, error)) (GroupView, error) {
	cur, err := scopedGet(ctx, gs.Store.GetGroup, id, scope, groupTenant)
	if err != nil {
		return GroupView{}, err
	}
	ids := make([]string, len(cur.Roles))
	for i, r := range cur.Roles {
		ids[i] = r.RoleID
	}
	in, err := change(GroupInput{Name: cur.Name, Data: cur.Data, RoleIDs: ids, Revision: cur.Revision})
	if err != nil {
		return GroupView{}, err
	}
	g := cur
	g.Name, g.Data, g.LastUpdateInstant = strings.TrimSpace(in.Name), in.Data, gs.Now().UnixMilli()
	apps, e, err := gs.resolve(ctx, &g, in.RoleIDs)
	if err != nil {
		return GroupView{}, err
	}
	if err := e.Err(); err != nil {
		return GroupView{}, err
	}
	v := viewGroup(g, apps)
	err = gs.Store.UpdateGroup(ctx, g, audit(ctx, gs.Now(), g.TenantID, "Updated the group with Id ["+g.ID+"]", viewGroup(cur, apps), v))
	if errors.Is(err, storage.ErrConflict) {
		return GroupView{}, invalid("duplicate", "group.name", "A group named ["+truncate(g.Name, 64)+"] already exists.")
	}
	if err != nil {
		return GroupView{}, notFound(err)
	}
	gs.forget(g, cur)
	return v, nil
}

// Delete removes the group and its memberships.
func (gs *Groups) Delete(ctx context.Context, scope Scope, id string) error {
	g, err := scopedGet(ctx, gs.Store.GetGroup, id, scope, groupTenant)
	if err != nil {
		return err
	}
	apps, err := gs.allApplications(ctx)
	if err != nil {
		return err
	}
	err = gs.Store.DeleteGroup(ctx, g.ID, audit(ctx, gs.Now(), g.TenantID, "Deleted the group with Id ["+g.ID+"]", viewGroup(g, apps), nil))
	gs.forget(g, storage.Group{})
	return notFound(err)
}

// resolve validates g's name and turns roleIDs into the group's roles: each
// must be a role of an application of the group's tenant.
func (gs *Groups) resolve(ctx context.Context, g *storage.Group, roleIDs []string) ([]storage.Application, *Invalid, error) {
	e := &Invalid{}
	if g.Name == "" {
		e.Field("blank", "group.name", "You must specify the [group.name] property.")
	} else if len(g.Name) > 191 || strings.IndexFunc(g.Name, isControl) >= 0 {
		e.Field("invalid", "group.name", "The [group.name] property is too long or contains control characters.")
	}
	apps, err := gs.allApplications(ctx)
	if err != nil {
		return nil, nil, err
	}
	g.Roles = []storage.GroupRole{}
	for _, id := range roleIDs {
		app, ok := roleApplication(apps, id)
		switch {
		case !ok || app.TenantID != g.TenantID:
			e.Field("invalid", "roleIds", "No application of the group's tenant has a role with Id ["+truncate(id, 64)+"].")
		case !slices.ContainsFunc(g.Roles, func(r storage.GroupRole) bool { return r.RoleID == id }):
			g.Roles = append(g.Roles, storage.GroupRole{ApplicationID: app.ID, RoleID: id})
		}
	}
	return apps, e, nil
}

func (gs *Groups) allApplications(ctx context.Context) ([]storage.Application, error) {
	active, err := gs.Store.ListApplications(ctx, false)
	if err != nil {
		return nil, err
	}
	inactive, err := gs.Store.ListApplications(ctx, true)
	return append(active, inactive...), err
}

// forget clears the cached applications whose group roles changed.
func (gs *Groups) forget(groups ...storage.Group) {
	for _, g := range groups {
		for _, r := range g.Roles {
			gs.Cache.ForgetApplication(r.ApplicationID)
		}
	}
}

// roleApplication finds the application defining role id.
func roleApplication(apps []storage.Application, id string) (storage.Application, bool) {
	for _, a := range apps {
		if slices.ContainsFunc(a.Roles, func(r storage.ApplicationRole) bool { return r.ID == id }) {
			return a, true
		}
	}
	return storage.Application{}, false
}

// viewGroup is g as the API shows it; roles whose application or role is
// gone are left out.
func viewGroup(g storage.Group, apps []storage.Application) GroupView {
	v := GroupView{ID: g.ID, Name: g.Name, Data: g.Data, TenantID: g.TenantID, Roles: map[string][]storage.ApplicationRole{},
		InsertInstant: g.InsertInstant, LastUpdateInstant: g.LastUpdateInstant, Revision: g.Revision}
	for _, r := range g.Roles {
		for _, a := range apps {
			if a.ID != r.ApplicationID {
				continue
			}
			if i := slices.IndexFunc(a.Roles, func(x storage.ApplicationRole) bool { return x.ID == r.RoleID }); i >= 0 {
				v.Roles[a.ID] = append(v.Roles[a.ID], a.Roles[i])
			}
		}
	}
	return v
}

// MatchPattern reports whether value matches a search pattern
// case-insensitively: '*' matches any run of characters; a pattern without
// '*' matches values containing it (FusionAuth's database search).
func MatchPattern(pattern, value string) bool {
	p, v := strings.ToLower(pattern), strings.ToLower(value)
	if !strings.Contains(p, "*") {
		return strings.Contains(v, p)
	}
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(v, part)
		if i < 0 {
			return false
		}
		v = v[i+len(part):]
	}
	return strings.HasSuffix(v, parts[len(parts)-1])
}
