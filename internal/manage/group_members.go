package manage

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MembersStore is what Members uses.
type MembersStore interface {
	userReader
	GetGroup(ctx context.Context, id string) (storage.Group, error)
	SaveGroupMembers(ctx context.Context, members []storage.GroupMember, replace []string, audit ...storage.AuditEntry) ([]storage.GroupMember, error)
	DeleteGroupMembers(ctx context.Context, f storage.GroupMemberFilter, audit ...storage.AuditEntry) ([]storage.GroupMember, error)
	ListGroupMembers(ctx context.Context, f storage.GroupMemberFilter) ([]storage.GroupMember, int, error)
}

// Members is the group membership API (groups.mdx: /api/group/member).
type Members struct {
	Store MembersStore
	Now   func() time.Time
}

// MemberInput is one member of a request: the user, and optionally the
// membership's id and data.
type MemberInput struct {
	ID     string
	UserID string
	Data   map[string]any
}

// MaxMembersPerRequest bounds one request's memberships (each is a write in
// the request's transaction).
const MaxMembersPerRequest = 1000

// Add adds the members listed by group id (POST /api/group/member), or with
// replace makes them each listed group's whole membership (PUT), in one
// transaction. Every group must be the caller's and every user of the
// group's tenant.
func (ms *Members) Add(ctx context.Context, scope Scope, members map[string][]MemberInput, replace bool) (map[string][]storage.GroupMember, error) {
	e := &Invalid{}
	if len(members) == 0 {
		e.Field("blank", "members", "You must specify the [members] property.")
	}
	now := ms.Now().UnixMilli()
	var rows []storage.GroupMember
	var entries []storage.AuditEntry
	count := 0
	for _, gid := range slices.Sorted(maps.Keys(members)) {
		g, err := ms.group(ctx, scope, gid, e)
		if err != nil {
			return nil, err
		}
		var added []storage.GroupMember
		for _, in := range members[gid] {
			count++
			m, err := ms.member(ctx, g, in, now, e)
			if err != nil {
				return nil, err
			}
			if m.UserID != "" && !slices.ContainsFunc(added, func(x storage.GroupMember) bool { return x.UserID == m.UserID }) {
				added = append(added, m)
			}
		}
		if g.ID == "" {
			continue
		}
		rows = append(rows, added...)
		verb := "Added members to"
		if replace {
			verb = "Replaced the members of"
		}
		entries = append(entries, audit(ctx, ms.Now(), g.TenantID, verb+" the group with Id ["+g.ID+"]", nil, map[string]any{"members": added}))
	}
	if count > MaxMembersPerRequest {
		e.Field("tooMany", "members", "At most "+itoa(MaxMembersPerRequest)+" members per request.")
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	var replaced []string
	if replace {
		replaced = slices.Sorted(maps.Keys(members))
	}
	saved, err := ms.Store.SaveGroupMembers(ctx, rows, replaced, entries...)
	if err != nil {
		// A user or group deleted since it was checked.
		return nil, notFound(err)
	}
	out := map[string][]storage.GroupMember{}
	for _, m := range saved {
		out[m.GroupID] = append(out[m.GroupID], m)
	}
	return out, nil
}

// group returns the group gid when the caller sees it; otherwise it adds a
// problem and returns the zero group.
func (ms *Members) group(ctx context.Context, scope Scope, gid string, e *Invalid) (storage.Group, error) {
	if !ValidID(gid) {
		e.Field("invalid", "members", "The group Id ["+truncate(gid, 64)+"] is not a valid Id.")
		return storage.Group{}, nil
	}
	g, err := scopedGet(ctx, ms.Store.GetGroup, gid, scope, groupTenant)
	if errors.Is(err, ErrNotFound) {
		e.Field("invalid", "members", "No group exists with Id ["+gid+"].")
		return storage.Group{}, nil
	}
	return g, err
}

// member checks one member of group g and builds its row.
func (ms *Members) member(ctx context.Context, g storage.Group, in MemberInput, now int64, e *Invalid) (storage.GroupMember, error) {
	m := storage.GroupMember{ID: in.ID, GroupID: g.ID, Data: in.Data, InsertInstant: now}
	if m.ID == "" {
		m.ID = newID()
	} else if !ValidID(m.ID) {
		e.Field("invalid", "members.id", "The member Id ["+truncate(m.ID, 64)+"] is not a valid Id.")
		return storage.GroupMember{}, nil
	}
	if !ValidID(in.UserID) {
		e.Field("invalid", "members.userId", "The user Id ["+truncate(in.UserID, 64)+"] is not a valid Id.")
		return storage.GroupMember{}, nil
	}
	if g.ID == "" {
		return storage.GroupMember{}, nil
	}
	u, err := scopedGet(ctx, ms.Store.GetUser, in.UserID, Scope{TenantID: g.TenantID}, userTenant)
	if errors.Is(err, ErrNotFound) {
		e.Field("invalid", "members.userId", "No user of the group's tenant exists with Id ["+in.UserID+"].")
		return storage.GroupMember{}, nil
	}
	m.UserID = u.ID
	return m, err
}

func userTenant(u storage.User) string { return u.TenantID }

// MemberRemoval names memberships to remove: by membership id, by group and
// users, or every membership of a group (GroupID alone).
type MemberRemoval struct {
	MemberIDs []string
	Members   map[string][]string // group id -> user ids
	GroupID   string
	UserID    string
}

// Remove deletes the memberships r names that the caller sees, in one
// transaction; ErrNotFound when none exists.
func (ms *Members) Remove(ctx context.Context, scope Scope, r MemberRemoval) error {
	var filters []storage.GroupMemberFilter
	switch {
	case len(r.MemberIDs) > 0:
		filters = append(filters, storage.GroupMemberFilter{IDs: r.MemberIDs})
	case len(r.Members) > 0:
		for gid, users := range r.Members {
			if len(users) > 0 {
				filters = append(filters, storage.GroupMemberFilter{GroupID: gid, UserIDs: users})
			}
		}
	case r.GroupID != "":
		f := storage.GroupMemberFilter{GroupID: r.GroupID}
		if r.UserID != "" {
			f.UserIDs = []string{r.UserID}
		}
		filters = append(filters, f)
	}
	if len(filters) == 0 {
		return invalid("blank", "memberIds", "Name the memberships to remove: memberIds, members, or groupId (and userId).")
	}
	var ids []string
	for _, f := range filters {
		found, _, err := ms.Store.ListGroupMembers(ctx, f)
		if err != nil {
			return err
		}
		for _, m := range found {
			if _, err := scopedGet(ctx, ms.Store.GetGroup, m.GroupID, scope, groupTenant); err == nil {
				ids = append(ids, m.ID)
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	if len(ids) == 0 {
		return ErrNotFound
	}
	entry := audit(ctx, ms.Now(), scope.TenantID, "Removed group memberships", nil, nil)
	entry.Data["memberIds"] = ids
	_, err := ms.Store.DeleteGroupMembers(ctx, storage.GroupMemberFilter{IDs: ids}, entry)
	return err
}

// Search lists the memberships of a group and/or a user that the caller
// sees (POST /api/group/member/search), with their total.
func (ms *Members) Search(ctx context.Context, scope Scope, groupID, userID string, startRow, numberOfResults int) ([]storage.GroupMember, int, error) {
	if groupID == "" && userID == "" {
		return nil, 0, invalid("blank", "search.groupId", "Search by [groupId], [userId] or both.")
	}
	e := &Invalid{}
	checkPaging(e, searchPaging(startRow, numberOfResults)...)
	checkFilterID(e, "search.groupId", groupID)
	checkFilterID(e, "search.userId", userID)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	f := storage.GroupMemberFilter{GroupID: groupID, Offset: startRow, Limit: pageSize(numberOfResults, 25)}
	if userID != "" {
		f.UserIDs = []string{userID}
	}
	if groupID != "" {
		if _, err := scopedGet(ctx, ms.Store.GetGroup, groupID, scope, groupTenant); err != nil {
			return []storage.GroupMember{}, 0, nilIfMissing(err)
		}
	}
	if userID != "" {
		if _, err := scopedGet(ctx, ms.Store.GetUser, userID, scope, userTenant); err != nil {
			return []storage.GroupMember{}, 0, nilIfMissing(err)
		}
	}
	return ms.Store.ListGroupMembers(ctx, f)
}

// nilIfMissing turns "not found" into an empty result for a search.
func nilIfMissing(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
