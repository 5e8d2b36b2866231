package storage

import "context"

// UserImport is one batch of FusionAuth's bulk user import
// (apis/users/import): users with their password hashes as given and their
// registrations (User.Registrations, each with UserID set), committed
// together with the outbox messages (a user.bulk.create event).
type UserImport struct {
	Users  []User
	Outbox []OutboxMessage
}

// UserKeys are the identifiers that must be unique among users: ids
// (globally), and emails and usernames within a tenant, case-insensitively.
type UserKeys struct {
	IDs, Emails, Usernames []string
}

// ImportStore stores imported users in batches.
type ImportStore interface {
	// ImportUsers stores every user of the batch with their registrations
	// and the outbox messages in ONE transaction: all or nothing.
	// ErrConflict when any id, email, username or registration id is taken
	// (in the database or twice in the batch); nothing is stored then.
	ImportUsers(ctx context.Context, b UserImport) error
	// TakenUserKeys returns those of k's ids (any tenant), emails and
	// usernames (in tenantID, compared case-insensitively; returned as
	// given) that existing users hold: validateDbConstraints.
	TakenUserKeys(ctx context.Context, tenantID string, k UserKeys) (UserKeys, error)
}
