package manage

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxPendingChildren bounds GET /api/user/family/pending (docs/api.md).
const MaxPendingChildren = 100

// FamiliesStore is what Families uses.
type FamiliesStore interface {
	userReader
	tenantReader
	CreateFamily(ctx context.Context, m storage.FamilyMember, audit ...storage.AuditEntry) error
	PutFamilyMember(ctx context.Context, m storage.FamilyMember, audit ...storage.AuditEntry) (storage.Family, error)
	RemoveFamilyMember(ctx context.Context, familyID, userID string, audit ...storage.AuditEntry) error
	GetFamily(ctx context.Context, id string) (storage.Family, error)
	ListUserFamilies(ctx context.Context, userID string) ([]storage.Family, error)
	ListPendingChildren(ctx context.Context, tenantID, parentEmail string, limit int) ([]string, error)
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
	ListOrphanedChildren(ctx context.Context, o storage.OrphanedChildren) ([]string, error)
	DeleteOrphanedChild(ctx context.Context, o storage.OrphanedChildren, d storage.OrphanDelete) (bool, error)
}

// Families is FusionAuth's Family API (families.mdx): users grouped as
// adults, teens and children, in the tenant of their users.
type Families struct {
	Store FamiliesStore
	Mail  *Mailer
	Now   func() time.Time
	// Users prepares the janitor's user deletes' events, as a user's delete.
	Users *Users
}

// FamilyMember is FusionAuth's FamilyMember, as requested and answered.
type FamilyMember struct {
	Data              map[string]any `json:"data,omitempty"`
	InsertInstant     int64          `json:"insertInstant,omitempty"`
	LastUpdateInstant int64          `json:"lastUpdateInstant,omitempty"`
	Owner             bool           `json:"owner"`
	Role              string         `json:"role,omitempty"`
	UserID            string         `json:"userId,omitempty"`
}

// Family is FusionAuth's Family.
type Family struct {
	ID                string         `json:"id"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
	Members           []FamilyMember `json:"members"`
}

func familyView(f storage.Family) Family {
	v := Family{ID: f.ID, InsertInstant: f.InsertInstant, LastUpdateInstant: f.LastUpdateInstant, Members: []FamilyMember{}}
	for _, m := range f.Members {
		v.Members = append(v.Members, FamilyMember{Data: m.Data, InsertInstant: m.InsertInstant, LastUpdateInstant: m.LastUpdateInstant,
			Owner: m.Owner, Role: m.Role, UserID: m.UserID})
	}
	return v
}

// Create makes family id (a new one when id is "") with the requested
// user as its owner and only member (POST /api/user/family[/{familyId}]).
// The user must be an adult (role Adult), of the caller's scope, in no
// family, and at least the tenant's minimumOwnerAge old by birthDate; the
// tenant's family configuration must be enabled.
func (fs *Families) Create(ctx context.Context, scope Scope, id string, in FamilyMember) (Family, error) {
	e := &Invalid{}
	switch in.Role {
	case "":
		e.Field("blank", "familyMember.role", "You must specify the [familyMember.role] property.")
	case storage.FamilyAdult:
	default:
		e.Field("invalid", "familyMember.role", "The first member of a family must be an [Adult].")
	}
	u, ok, err := fs.member(ctx, e, scope, in.UserID)
	if err != nil {
		return Family{}, err
	}
	if ok {
		if err := fs.enabled(ctx, e, u.TenantID, fs.ownerAge(e, u)); err != nil {
			return Family{}, err
		}
	}
	if err := e.Err(); err != nil {
		return Family{}, err
	}
	if id == "" {
		id = newID()
	}
	now := fs.Now()
	m := storage.FamilyMember{FamilyID: id, UserID: u.ID, TenantID: u.TenantID, Role: storage.FamilyAdult, Owner: true,
		Data: in.Data, InsertInstant: now.UnixMilli(), LastUpdateInstant: now.UnixMilli()}
	err = fs.Store.CreateFamily(ctx, m, audit(ctx, now, u.TenantID, "Created the family with Id ["+id+"] owned by the user with Id ["+u.ID+"]", nil, nil))
	switch {
	case errors.Is(err, storage.ErrConflict):
		return Family{}, invalid("duplicate", "familyId", "A family with Id ["+id+"] already exists.")
	case errors.Is(err, storage.ErrInFamily):
		return Family{}, invalid("alreadyInFamily", "familyMember.userId", "The user ["+u.ID+"] is already in a family.")
	case errors.Is(err, storage.ErrNotFound): // the user was deleted meanwhile
		return Family{}, invalid("invalid", "familyMember.userId", "No user exists with Id ["+u.ID+"].")
	case err != nil:
		return Family{}, err
	}
	return fs.Get(ctx, scope, id)
}

// Put adds the requested user to family id or, when they are a member,
// updates their role, owner flag and data (PUT /api/user/family/{familyId},
// both the client's addUserToFamily and updateFamily). A teen or child is
// never an owner; an adult may be in one family only. ErrNotFound for a
// family outside scope.
func (fs *Families) Put(ctx context.Context, scope Scope, id string, in FamilyMember) (Family, error) {
	f, err := fs.family(ctx, scope, id)
	if err != nil {
		return Family{}, err
	}
	e := &Invalid{}
	switch in.Role {
	case "":
		e.Field("blank", "familyMember.role", "You must specify the [familyMember.role] property.")
	case storage.FamilyAdult, storage.FamilyTeen, storage.FamilyChild:
	default:
		e.Field("invalid", "familyMember.role", "The [familyMember.role] must be one of Adult, Teen, Child.")
	}
	u, ok, err := fs.member(ctx, e, scope, in.UserID)
	if err != nil {
		return Family{}, err
	}
	if ok && u.TenantID != f.TenantID { // a family is of one tenant
		e.Field("invalid", "familyMember.userId", "No user exists with Id ["+u.ID+"] in the family's tenant.")
		ok = false
	}
	if ok {
		var check func(storage.TenantFamilyConfiguration)
		if in.Owner && in.Role == storage.FamilyAdult { // an owner, as at Create
			check = fs.ownerAge(e, u)
		}
		if err := fs.enabled(ctx, e, f.TenantID, check); err != nil {
			return Family{}, err
		}
	}
	if err := e.Err(); err != nil {
		return Family{}, err
	}
	now := fs.Now()
	m := storage.FamilyMember{FamilyID: f.ID, UserID: u.ID, TenantID: u.TenantID, Role: in.Role, Owner: in.Owner && in.Role == storage.FamilyAdult,
		Data: in.Data, InsertInstant: now.UnixMilli(), LastUpdateInstant: now.UnixMilli()}
	got, err := fs.Store.PutFamilyMember(ctx, m, audit(ctx, now, f.TenantID, "Put the user with Id ["+u.ID+"] in the family with Id ["+f.ID+"] as ["+in.Role+"]", nil, nil))
	switch {
	case errors.Is(err, storage.ErrInFamily):
		return Family{}, invalid("alreadyInFamily", "familyMember.userId", "The user ["+u.ID+"] is an adult of another family.")
	case err != nil:
		return Family{}, notFound(err) // the family or the user went meanwhile
	}
	return familyView(got), nil
}

// Get returns family id (GET /api/user/family/{familyId}); ErrNotFound
// outside scope.
func (fs *Families) Get(ctx context.Context, scope Scope, id string) (Family, error) {
	f, err := fs.family(ctx, scope, id)
	return familyView(f), err
}

// OfUser returns the families of a user of the scope, oldest first
// (GET /api/user/family?userId=); ErrNotFound for an unknown user.
func (fs *Families) OfUser(ctx context.Context, scope Scope, userID string) ([]Family, error) {
	u, err := fs.user(ctx, scope, userID)
	if err != nil {
		return nil, err
	}
	list, err := fs.Store.ListUserFamilies(ctx, u.ID)
	out := make([]Family, len(list))
	for i, f := range list {
		out[i] = familyView(f)
	}
	return out, err
}

// Remove takes the user out of family id, and the family goes with its
// last member (DELETE /api/user/family/{familyId}/{userId}); ErrNotFound
// when the family is outside scope or the user is not a member.
func (fs *Families) Remove(ctx context.Context, scope Scope, id, userID string) error {
	f, err := fs.family(ctx, scope, id)
	if err != nil {
		return err
	}
	return notFound(fs.Store.RemoveFamilyMember(ctx, f.ID, strings.ToLower(userID),
		audit(ctx, fs.Now(), f.TenantID, "Removed the user with Id ["+strings.ToLower(userID)+"] from the family with Id ["+f.ID+"]", nil, nil)))
}

// Pending returns the users of the scope's tenant (the default tenant
// for a global key) whose parentEmail is parentEmail and who are in no
// family with an adult owner, at most MaxPendingChildren
// (GET /api/user/family/pending?parentEmail=).
func (fs *Families) Pending(ctx context.Context, scope Scope, parentEmail string) ([]storage.User, error) {
	if strings.TrimSpace(parentEmail) == "" {
		return nil, invalid("blank", "parentEmail", "You must specify the [parentEmail] parameter.")
	}
	if len(parentEmail) > 254 || strings.IndexFunc(parentEmail, unicode.IsControl) >= 0 {
		return []storage.User{}, nil // no stored parentEmail is longer or has a control character (checkParentEmail)
	}
	ids, err := fs.Store.ListPendingChildren(ctx, scopeTenant(scope), parentEmail, MaxPendingChildren)
	if err != nil {
		return nil, err
	}
	out := []storage.User{}
	for _, id := range ids {
		u, err := fs.Store.GetUser(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// scopeTenant is the tenant a request without a tenant-bound object acts
// in: the key's, else the default tenant (as EmailSend's addresses).
func scopeTenant(scope Scope) string {
	if scope.TenantID != "" {
		return scope.TenantID
	}
	return DefaultTenantID
}

// member reads the requested member's user: blank or unknown (outside
// scope) are problems in e, ok false then.
func (fs *Families) member(ctx context.Context, e *Invalid, scope Scope, id string) (storage.User, bool, error) {
	if id == "" {
		e.Field("blank", "familyMember.userId", "You must specify the [familyMember.userId] property.")
		return storage.User{}, false, nil
	}
	u, err := fs.user(ctx, scope, id)
	if errors.Is(err, ErrNotFound) {
		e.Field("invalid", "familyMember.userId", "No user exists with Id ["+truncate(id, 64)+"].")
		return u, false, nil
	}
	return u, err == nil, err
}

// enabled refuses (in e) a write in a tenant whose family configuration
// is disabled; check, when the configuration is enabled, checks more.
func (fs *Families) enabled(ctx context.Context, e *Invalid, tenantID string, check func(storage.TenantFamilyConfiguration)) error {
	t, err := fs.Store.GetTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	c := t.Family()
	if !c.Enabled {
		e.General("FamilyConfigurationDisabled", "Families are disabled in the tenant: set tenant.familyConfiguration.enabled to use them.")
		return nil
	}
	if check != nil {
		check(c)
	}
	return nil
}

// ownerAge refuses u as a family's owner below the tenant's
// minimumOwnerAge, or without a birthDate (Create and Put).
func (fs *Families) ownerAge(e *Invalid, u storage.User) func(storage.TenantFamilyConfiguration) {
	return func(c storage.TenantFamilyConfiguration) {
		if age, known := ageOn(u.BirthDate, fs.Now()); !known || age < c.MinimumOwnerAge {
			e.Field("tooYoung", "familyMember.userId", "The user ["+u.ID+"] must be at least ["+itoa(c.MinimumOwnerAge)+
				"] years old (by user.birthDate) to own a family.")
		}
	}
}

func (fs *Families) family(ctx context.Context, scope Scope, id string) (storage.Family, error) {
	if !ValidID(id) {
		return storage.Family{}, ErrNotFound
	}
	return scopedGet(ctx, fs.Store.GetFamily, strings.ToLower(id), scope, func(f storage.Family) string { return f.TenantID })
}

func (fs *Families) user(ctx context.Context, scope Scope, id string) (storage.User, error) {
	if !ValidID(id) {
		return storage.User{}, ErrNotFound
	}
	return scopedGet(ctx, fs.Store.GetUser, strings.ToLower(id), scope, userTenant)
}

// ageOn is the age in whole years on now of someone born on birthDate
// (YYYY-MM-DD); known is false without a birth date.
func ageOn(birthDate string, now time.Time) (age int, known bool) {
	b, err := time.Parse(time.DateOnly, birthDate)
	if err != nil {
		return 0, false
	}
	now = now.UTC()
	age = now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		age--
	}
	return age, true
}
