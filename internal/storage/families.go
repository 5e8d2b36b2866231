package storage

import (
	"context"
	"errors"
	"time"
)

// Family roles (FusionAuth's FamilyRole).
const (
	FamilyAdult = "Adult"
	FamilyTeen  = "Teen"
	FamilyChild = "Child"
)

// ErrInFamily: the user is already in a family where the rule allows one
// (families.mdx: an adult belongs to a single family; a family is created
// only by a user in none). Nothing is stored.
var ErrInFamily = errors.New("storage: the user is already in a family")

// FamilyMember is one user's membership of a family (FusionAuth's
// FamilyMember). TenantID is the user's.
type FamilyMember struct {
	FamilyID          string
	UserID            string
	TenantID          string
	Role              string // FamilyAdult, FamilyTeen or FamilyChild
	Owner             bool
	Data              map[string]any
	InsertInstant     int64 // ms, when the user joined
	LastUpdateInstant int64
}

// Family is a family with its members, oldest member first (ties by user
// id). It exists while it has a member.
type Family struct {
	ID                string
	TenantID          string
	InsertInstant     int64
	LastUpdateInstant int64
	Members           []FamilyMember
}

// FamilyStore stores families. Every write locks the user's row first, so
// concurrent writes about one user see each other.
type FamilyStore interface {
	// CreateFamily stores family m.FamilyID with m as its only member, in
	// the user's tenant, with the audit entries: ErrNotFound when no user
	// m.UserID exists, ErrConflict when the family id is taken, ErrInFamily
	// when the user is in any family; nothing is stored then.
	CreateFamily(ctx context.Context, m FamilyMember, audit ...AuditEntry) error
	// PutFamilyMember adds the user to family m.FamilyID or, when they are
	// a member, replaces their role, owner flag and data (their
	// insertInstant stays). ErrNotFound when the family or the user does
	// not exist or they are of different tenants; ErrInFamily when m is an
	// adult and the user is in another family. It returns the family as
	// written.
	PutFamilyMember(ctx context.Context, m FamilyMember, audit ...AuditEntry) (Family, error)
	// RemoveFamilyMember removes the user from the family, and the family
	// with its last member; ErrNotFound when the user is not a member.
	RemoveFamilyMember(ctx context.Context, familyID, userID string, audit ...AuditEntry) error
	// GetFamily returns the family or ErrNotFound.
	GetFamily(ctx context.Context, id string) (Family, error)
	// ListUserFamilies returns the families the user is a member of, oldest
	// first (ties by id); none for an unknown user.
	ListUserFamilies(ctx context.Context, userID string) ([]Family, error)
	// ListPendingChildren returns the ids of at most limit users of the
	// tenant whose parentEmail is parentEmail (case-insensitively) and who
	// are in no family with an adult owner, by id.
	ListPendingChildren(ctx context.Context, tenantID, parentEmail string, limit int) ([]string, error)
	// ListOrphanedChildren returns the ids of at most o.Limit users of
	// o.TenantID created before o.CreatedBefore, born after o.BornAfter and
	// not after o.BornBy (children by birthDate), who are in no family
	// with an adult member, oldest first. A user without a birthDate is
	// never one of them.
	ListOrphanedChildren(ctx context.Context, o OrphanedChildren) ([]string, error)
	// DeleteOrphanedChild hard-deletes the user d.UserID, as DeleteUserAt
	// does at o.At, with d's outbox messages and audit entries, in one
	// transaction, only if, under the user's row lock, the user is still
	// one ListOrphanedChildren(o) selects (a child who joined a family with
	// an adult meanwhile is kept). It reports whether it deleted the user.
	DeleteOrphanedChild(ctx context.Context, o OrphanedChildren, d OrphanDelete) (bool, error)
}

// OrphanedChildren selects the children ListOrphanedChildren lists and
// DeleteOrphanedChild deletes
// (tenant.familyConfiguration.deleteOrphanedAccounts). Dates are
// YYYY-MM-DD, as user.birthDate is stored.
type OrphanedChildren struct {
	TenantID      string
	BornAfter     string // exclusive: born on this day is too old
	BornBy        string // inclusive: today (a birthDate in the future is no child's)
	CreatedBefore int64  // ms
	Limit         int
	At            time.Time
}

// OrphanDelete is one orphaned child's delete: the events and audit a
// user's delete commits with it.
type OrphanDelete struct {
	UserID string
	Outbox []OutboxMessage
	Audit  []AuditEntry
}

// TenantFamilyConfiguration is tenant.familyConfiguration. Stored and
// answered whole; the family API enforces Enabled, MinimumOwnerAge and
// FamilyRequestEmailTemplateID, the keyless sign-up the child rules
// (manage/families_children.go), the janitor DeleteOrphanedAccounts.
type TenantFamilyConfiguration struct {
	AllowChildRegistrations           *bool  `json:"allowChildRegistrations,omitempty"` // nil reads as true (FusionAuth's default)
	ConfirmChildEmailTemplateID       string `json:"confirmChildEmailTemplateId,omitempty"`
	DeleteOrphanedAccounts            bool   `json:"deleteOrphanedAccounts"`
	DeleteOrphanedAccountsDays        int    `json:"deleteOrphanedAccountsDays"`
	Enabled                           bool   `json:"enabled"`
	FamilyRequestEmailTemplateID      string `json:"familyRequestEmailTemplateId,omitempty"`
	MaximumChildAge                   int    `json:"maximumChildAge"`
	MinimumOwnerAge                   int    `json:"minimumOwnerAge"`
	ParentEmailRequired               bool   `json:"parentEmailRequired"`
	ParentRegistrationEmailTemplateID string `json:"parentRegistrationEmailTemplateId,omitempty"`
}

// Family is the tenant's family configuration; a tenant stored without
// one, and the ages and days left 0, read as FusionAuth's defaults
// (disabled, children up to 12, owners from 21, orphans kept 30 days,
// child registrations allowed).
func (t Tenant) Family() TenantFamilyConfiguration {
	var c TenantFamilyConfiguration
	if t.FamilyConfiguration != nil {
		c = *t.FamilyConfiguration
	}
	for _, f := range []struct {
		v *int
		d int
	}{{&c.MaximumChildAge, 12}, {&c.MinimumOwnerAge, 21}, {&c.DeleteOrphanedAccountsDays, 30}} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	if c.AllowChildRegistrations == nil {
		yes := true
		c.AllowChildRegistrations = &yes
	}
	return c
}
