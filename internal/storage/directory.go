package storage

import (
	"context"
	"time"
)

// The directory (issue 12): groups and their roles, user actions, user
// search. Every write method takes optional audit entries, written in the
// same transaction as the change (audit.go).

// Group is FusionAuth's group (https://fusionauth.io/docs/apis/groups): a
// set of users in one tenant whose members receive the group's application
// roles in their tokens. Roles are kept by role id, as FusionAuth's request
// names them (roleIds); the API layer shows them as role objects.
type Group struct {
	ID                string
	TenantID          string
	Name              string // unique per tenant, case-insensitively
	Data              map[string]any
	Roles             []GroupRole
	InsertInstant     int64
	LastUpdateInstant int64
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateGroup names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// GroupRole is one application role a group grants.
type GroupRole struct {
	ApplicationID string
	RoleID        string
}

// GroupMember is one user's membership of a group (FusionAuth's
// GroupMember; user.memberships lists them).
type GroupMember struct {
	ID            string         `json:"id"`
	GroupID       string         `json:"groupId"`
	UserID        string         `json:"userId"`
	Data          map[string]any `json:"data,omitempty"`
	InsertInstant int64          `json:"insertInstant"`
}

// GroupMemberFilter selects memberships. Set fields are ANDed; at least one
// of IDs, GroupID and UserIDs must be set.
type GroupMemberFilter struct {
	IDs     []string
	GroupID string
	UserIDs []string
	// Offset and Limit page ListGroupMembers (Limit 0: no limit); the
	// order is (insertInstant, id).
	Offset, Limit int
}

// GroupStore stores groups and memberships. Deleting a group, a user or an
// application removes the memberships and group roles that name it.
type GroupStore interface {
	// CreateGroup stores g and its roles; ErrConflict on a duplicate id or
	// name in the tenant; ErrNotFound when a role's application is gone.
	CreateGroup(ctx context.Context, g Group, audit ...AuditEntry) error
	GetGroup(ctx context.Context, id string) (Group, error)
	// ListGroups lists every group, ordered by name.
	ListGroups(ctx context.Context) ([]Group, error)
	// UpdateGroup replaces name, data and roles; ErrNotFound, ErrConflict,
	// ErrStale when g.Revision is not 0 and not the row's (nothing written).
	UpdateGroup(ctx context.Context, g Group, audit ...AuditEntry) error
	// DeleteGroup removes the group and its memberships; ErrNotFound.
	DeleteGroup(ctx context.Context, id string, audit ...AuditEntry) error
	// SaveGroupMembers adds members in one transaction. An existing
	// (group, user) pair keeps its id and insert instant and takes the new
	// data. For each group in replace, memberships not in members are
	// removed first (PUT /api/group/member). ErrNotFound when a group or
	// user does not exist; nothing is written then.
	SaveGroupMembers(ctx context.Context, members []GroupMember, replace []string, audit ...AuditEntry) ([]GroupMember, error)
	// DeleteGroupMembers removes the memberships f selects and returns them.
	DeleteGroupMembers(ctx context.Context, f GroupMemberFilter, audit ...AuditEntry) ([]GroupMember, error)
	// ListGroupMembers returns the memberships f selects and how many there
	// are in all (ignoring Offset and Limit).
	ListGroupMembers(ctx context.Context, f GroupMemberFilter) ([]GroupMember, int, error)
	// GroupRolesOf returns, for each group granting roles of appID, the
	// role ids it grants (token minting: a member registered for appID gets
	// them).
	GroupRolesOf(ctx context.Context, appID string) (map[string][]string, error)
}

// RoleChange is a change to one role of an application, written with the
// application in one transaction so registrations and groups never name a
// role the application does not have.
type RoleChange struct {
	// Application is the application as it is after the change.
	Application Application
	// RoleID is the role created, changed or deleted.
	RoleID string
	// OldName, when set and different from the role's new name, is
	// replaced by the new name in every registration of the application.
	OldName string
	// Deleted removes the role: its name (OldName) from every registration
	// and its id from every group.
	Deleted bool
}

// RoleStore changes application roles.
type RoleStore interface {
	// ChangeApplicationRole stores c.Application (ErrNotFound when it is
	// gone; ErrStale, nothing written, when its Revision is not 0 and not
	// the row's) and carries a rename or deletion through to
	// registrations and groups.
	ChangeApplicationRole(ctx context.Context, c RoleChange, audit ...AuditEntry) error
}

// UserAction is FusionAuth's user action definition
// (https://fusionauth.io/docs/apis/user-actions). Global, like FusionAuth's.
type UserAction struct {
	ID                       string             `json:"id"`
	Name                     string             `json:"name"`
	Active                   bool               `json:"active"`
	PreventLogin             bool               `json:"preventLogin"`
	Temporal                 bool               `json:"temporal"`
	SendEndEvent             bool               `json:"sendEndEvent"`
	UserEmailingEnabled      bool               `json:"userEmailingEnabled"`
	UserNotificationsEnabled bool               `json:"userNotificationsEnabled"`
	IncludeEmailInEventJSON  bool               `json:"includeEmailInEventJSON"`
	StartEmailTemplateID     string             `json:"startEmailTemplateId,omitempty"`
	ModifyEmailTemplateID    string             `json:"modifyEmailTemplateId,omitempty"`
	CancelEmailTemplateID    string             `json:"cancelEmailTemplateId,omitempty"`
	EndEmailTemplateID       string             `json:"endEmailTemplateId,omitempty"`
	LocalizedNames           map[string]string  `json:"localizedNames,omitempty"`
	Options                  []UserActionOption `json:"options,omitempty"`
	TransactionType          string             `json:"transactionType,omitempty"`
	InsertInstant            int64              `json:"insertInstant"`
	LastUpdateInstant        int64              `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateUserAction names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// UserActionOption is one of userAction.options.
type UserActionOption struct {
	Name           string            `json:"name"`
	LocalizedNames map[string]string `json:"localizedNames,omitempty"`
}

// UserActionLog is one action taken on a user (FusionAuth's UserActionLog,
// the "action" of /api/user/action).
type UserActionLog struct {
	ID             string   `json:"id"`
	TenantID       string   `json:"-"`
	ActioneeUserID string   `json:"actioneeUserId"`
	ActionerUserID string   `json:"actionerUserId,omitempty"`
	ApplicationIDs []string `json:"applicationIds"`
	Comment        string   `json:"comment,omitempty"`
	EmailUserOnEnd bool     `json:"emailUserOnEnd"`
	EndEventSent   bool     `json:"endEventSent"`
	// Expiry is when a temporal action ends (ms); 0 for an action that is
	// not temporal. A cancel sets it to the cancel instant.
	Expiry          int64             `json:"expiry,omitempty"`
	History         UserActionHistory `json:"history"`
	InsertInstant   int64             `json:"insertInstant"`
	LocalizedName   string            `json:"localizedName,omitempty"`
	LocalizedOption string            `json:"localizedOption,omitempty"`
	LocalizedReason string            `json:"localizedReason,omitempty"`
	Name            string            `json:"name"`
	NotifyUserOnEnd bool              `json:"notifyUserOnEnd"`
	Option          string            `json:"option,omitempty"`
	Reason          string            `json:"reason,omitempty"`
	ReasonCode      string            `json:"reasonCode,omitempty"`
	UserActionID    string            `json:"userActionId"`
	// PreventLogin and Temporal are the definition's flags when the action
	// was taken: a later change to the definition does not lift a lock.
	PreventLogin bool `json:"-"`
	Temporal     bool `json:"-"`
	// Canceled: the action was cancelled (its Expiry is the cancel instant).
	Canceled bool `json:"-"`
	// SendEndEvent is the definition's sendEndEvent when the action was
	// taken: user.action with phase "end" is owed at Expiry, unless the
	// action is cancelled first (EndEventSent once it went out).
	SendEndEvent bool `json:"-"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1): UpdateUserActionLog writes only while the row still
	// has it, when it is not 0. Never serialized.
	Revision int64 `json:"-"`
}

// EndDue is when l's end event is due (ms), 0 when none is owed.
func (l UserActionLog) EndDue() int64 {
	if !l.Temporal || !l.SendEndEvent || l.Canceled || l.EndEventSent {
		return 0
	}
	return l.Expiry
}

// UserActionHistory is userActionLog.history.
type UserActionHistory struct {
	HistoryItems []UserActionHistoryItem `json:"historyItems"`
}

// UserActionHistoryItem is one start, modification or cancellation.
type UserActionHistoryItem struct {
	ActionerUserID string `json:"actionerUserId,omitempty"`
	Comment        string `json:"comment,omitempty"`
	CreateInstant  int64  `json:"createInstant"`
	Expiry         int64  `json:"expiry,omitempty"`
}

// ActiveAt reports whether l is in force at now (ms): temporal, not
// cancelled and not yet expired (FusionAuth's "active" action).
func (l UserActionLog) ActiveAt(now int64) bool {
	return l.Temporal && !l.Canceled && l.Expiry > now
}

// SessionRevocation asks a write to revoke a user's live refresh tokens in
// its transaction: all of them, or those of ApplicationIDs when set. All of
// them also ends the user's live login sessions (single sign-on).
type SessionRevocation struct {
	UserID         string
	ApplicationIDs []string
	At             time.Time
	Reason         string
}

// LoginPrevented is RecordLogin's refusal when its Gate finds actions in
// force that prevent the login.
type LoginPrevented struct {
	Actions []UserActionLog
}

func (e *LoginPrevented) Error() string { return "storage: login prevented by a user action" }

// Prevents reports whether l, in force at now (ms), prevents a login to
// appID: it prevents login, and names no applications or names appID.
func (l UserActionLog) Prevents(appID string, now int64) bool {
	if !l.PreventLogin || !l.ActiveAt(now) {
		return false
	}
	if len(l.ApplicationIDs) == 0 {
		return true
	}
	for _, id := range l.ApplicationIDs {
		if id == appID {
			return true
		}
	}
	return false
}

// UserActionStore stores user action definitions and the actions taken.
type UserActionStore interface {
	// CreateUserAction: ErrConflict on a duplicate id or name.
	CreateUserAction(ctx context.Context, a UserAction, audit ...AuditEntry) error
	GetUserAction(ctx context.Context, id string) (UserAction, error)
	// ListUserActions lists every definition ordered by name.
	ListUserActions(ctx context.Context) ([]UserAction, error)
	// UpdateUserAction: ErrNotFound, ErrConflict (name taken), ErrStale
	// when a.Revision is not 0 and not the row's (nothing written).
	UpdateUserAction(ctx context.Context, a UserAction, audit ...AuditEntry) error
	// DeleteUserAction removes the definition; actions taken keep their
	// copy of its name. ErrNotFound.
	DeleteUserAction(ctx context.Context, id string, audit ...AuditEntry) error
	// TakeUserAction stores l (ErrNotFound when the user is gone) and, when
	// revoke is set, revokes that user's live refresh tokens in the same
	// transaction, returning them: a lock and the end of its sessions
	// commit together.
	TakeUserAction(ctx context.Context, l UserActionLog, revoke *SessionRevocation, audit ...AuditEntry) ([]RefreshToken, error)
	GetUserActionLog(ctx context.Context, id string) (UserActionLog, error)
	// ListUserActionLogs lists the actions taken on a user, oldest first.
	ListUserActionLogs(ctx context.Context, userID string) ([]UserActionLog, error)
	// UpdateUserActionLog replaces an action taken (modify, cancel).
	// ErrNotFound when it is gone; ErrStale, nothing written, when
	// l.Revision is not 0 and not the row's (a write committed since l was
	// read).
	UpdateUserActionLog(ctx context.Context, l UserActionLog, audit ...AuditEntry) error
	// LoginPreventions lists the user's actions that prevent login and are
	// in force at now (ms): the login gate's read.
	LoginPreventions(ctx context.Context, userID string, now int64) ([]UserActionLog, error)
}

// UserSearch is a user search (https://fusionauth.io/docs/apis/users#search-for-users)
// with FusionAuth's database-engine semantics: QueryString is one term,
// matched case-insensitively against email, username, first, last and full
// name; without '*' a field matches when it contains the term, with '*'
// the term is a pattern over the whole field ('*' = any run of characters).
// Empty or "*" matches everyone.
type UserSearch struct {
	TenantID    string // "" searches every tenant
	QueryString string
	Sort        []SortField
	Offset      int
	Limit       int // > 0
	// CountLimit, when positive, stops counting matches there: the total
	// is min(matches, CountLimit), so a term that matches most users does
	// not cost a count of all of them. 0 counts exactly.
	CountLimit int
}

// SortField is one of a search's sortFields. Name is one of UserSortNames.
type SortField struct {
	Name string
	Desc bool
}

// UserSortNames are the sort fields of FusionAuth's database search engine.
var UserSortNames = []string{"birthDate", "email", "firstName", "fullName", "id", "insertInstant",
	"lastLoginInstant", "lastName", "login", "tenantId", "username"}

// UserSearchStore searches users through an index kept in the same
// transaction as every user write.
type UserSearchStore interface {
	// SearchUsers returns one page of matches (ties broken by id) and the
	// number of matches in all.
	SearchUsers(ctx context.Context, q UserSearch) ([]User, int, error)
	// GetUsers returns the users among ids that exist, in the order of ids
	// (duplicates once).
	GetUsers(ctx context.Context, ids []string) ([]User, error)
	// ListRegistrationsOf returns the registrations of each of userIDs.
	ListRegistrationsOf(ctx context.Context, userIDs []string) (map[string][]Registration, error)
}
