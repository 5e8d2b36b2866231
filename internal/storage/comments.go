package storage

import "context"

// UserComment is a note an admin left on a user (FusionAuth's User Comment,
// https://fusionauth.io/docs/apis/user-comments). It goes with the user it
// is about; one a deleted commenter wrote stays.
type UserComment struct {
	ID            string
	UserID        string
	TenantID      string // the user's
	CommenterID   string
	Comment       string
	InsertInstant int64 // ms
}

// UserCommentFilter selects user comments, ordered by insertInstant (ties
// by id), oldest first unless Desc. Set fields are ANDed; Comment is a
// case-insensitive pattern as AuditSearch's ('*' any run, else contains).
type UserCommentFilter struct {
	TenantID, UserID, CommenterID string
	Comment                       string
	Desc                          bool
	Offset, Limit                 int // Limit 0: all
}

// UserCommentStore stores user comments.
type UserCommentStore interface {
	// CreateUserComment stores c with the audit entries: ErrNotFound, nothing
	// stored, when c.UserID names no user; ErrConflict on a duplicate id.
	CreateUserComment(ctx context.Context, c UserComment, audit ...AuditEntry) error
	// ListUserComments returns one page of the comments f selects and the
	// number of matches in all.
	ListUserComments(ctx context.Context, f UserCommentFilter) ([]UserComment, int, error)
}
