package manage

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ImportStore is what Import uses.
type ImportStore interface {
	tenantReader
	applicationReader
	storage.ImportStore
}

// Import is FusionAuth's bulk user import (POST /api/user/import;
// apis/users/import, spec §3.8): users with their registrations and their
// existing password hashes, in every scheme internal/password verifies, so
// they log in with their old passwords and are rehashed to the tenant's
// scheme at their first login (internal/auth). One request is one
// transaction: a bad record is reported with its index and field and
// nothing of the request is written.
type Import struct {
	Store ImportStore
	Now   func() time.Time
	// Events publishes user.bulk.create (nil: none).
	Events *events.Publisher
}

// ImportRequest is the request body.
type ImportRequest struct {
	// EncryptionScheme and Factor hash the plain-text passwords of users
	// given without an encryptionScheme (default: the tenant's).
	EncryptionScheme string `json:"encryptionScheme"`
	Factor           int    `json:"factor"`
	// ValidateDbConstraints checks ids, emails and usernames against the
	// stored users first, so a clash is a field error naming the record
	// rather than one refusal of the whole request.
	ValidateDbConstraints bool         `json:"validateDbConstraints"`
	Users                 []ImportUser `json:"users"`
}

// ImportUser is one user of the request: the user object with the
// password fields of the import format.
type ImportUser struct {
	storage.User
	// Password is the stored hash in the scheme's import form when
	// EncryptionScheme is set, else the plain-text password (a Salt, a
	// Factor or a whole self-describing hash without a scheme is refused:
	// hashWithoutScheme).
	Password         string `json:"password"`
	EncryptionScheme string `json:"encryptionScheme"`
	Factor           int    `json:"factor"`
	Salt             string `json:"salt"`
	// TwoFactor and Memberships are FusionAuth's; latchkey's import does
	// not take them yet, and refuses a user that carries any rather than
	// dropping them.
	TwoFactor   json.RawMessage `json:"twoFactor,omitempty"`
	Memberships []any           `json:"memberships,omitempty"`
}

// ErrImportConflict: without validateDbConstraints, an id, email, username
// or registration id of the request is taken; nothing was imported
// (FusionAuth's [ImportRequestFailed]).
var ErrImportConflict = errors.New("manage: import clashes with stored users")

// MaxImportUsers bounds one request: the whole request is one transaction
// and is held in memory (`latchkey import` sends batches well below it).
const MaxImportUsers = 100_000

// Run validates and imports req in one transaction. Problems are field
// errors keyed users[i].field (the index in the request) with FusionAuth's
// codes ([blank], [invalid], [duplicate], [notEmail], ...).
func (im *Import) Run(ctx context.Context, scope Scope, req ImportRequest) error {
	tenant, err := im.Store.GetTenant(ctx, DefaultTenantID)
	if err != nil {
		return err
	}
	v := importValidator{im: im, tenant: tenant.WithDefaults(), scope: scope, now: im.Now(), req: req,
		apps: map[string]*storage.Application{}, seen: newSeenKeys()}
	users, err := v.validate(ctx)
	if err != nil {
		return err
	}
	if req.ValidateDbConstraints {
		if err := v.checkStored(ctx, users); err != nil {
			return err
		}
	}
	if err := v.e.Err(); err != nil {
		return err
	}
	evs, err := im.bulkEvent(ctx, users)
	if err != nil {
		return err
	}
	err = im.Store.ImportUsers(ctx, storage.UserImport{Users: users, Outbox: evs})
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		// A clash with a stored user (or an application deleted meanwhile):
		// the whole request was rolled back.
		return ErrImportConflict
	}
	if err == nil {
		im.Events.Committed(evs)
	}
	return err
}

// bulkEvent is FusionAuth's user.bulk.create: one event with every
// imported user (no user.create per user).
func (im *Import) bulkEvent(ctx context.Context, users []storage.User) ([]storage.OutboxMessage, error) {
	return eventMessages(ctx, im.Events, DefaultTenantID, events.UserBulkCreate, func(ev *events.Event) {
		ev.Users = make([]storage.User, len(users))
		for i, u := range users {
			ev.Users[i] = *events.UserView(u)
		}
	})
}
