package manage

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxUserCommentLength bounds a user comment, in characters: FusionAuth
// documents none, and a note is not a document store (docs/api.md).
const MaxUserCommentLength = 4000

// UserCommentsStore is what UserComments uses.
type UserCommentsStore interface {
	userReader
	CreateUserComment(ctx context.Context, c storage.UserComment, audit ...storage.AuditEntry) error
	ListUserComments(ctx context.Context, f storage.UserCommentFilter) ([]storage.UserComment, int, error)
}

// UserComments are the notes admins leave on users (user-comments.mdx):
// added, listed per user and searched; never changed.
type UserComments struct {
	Store UserCommentsStore
	Now   func() time.Time
}

// UserComment is FusionAuth's UserComment, as requested and answered.
type UserComment struct {
	Comment       string `json:"comment"`
	CommenterID   string `json:"commenterId"`
	ID            string `json:"id,omitempty"`
	InsertInstant int64  `json:"insertInstant,omitempty"`
	UserID        string `json:"userId"`
}

func commentView(c storage.UserComment) UserComment {
	return UserComment{Comment: c.Comment, CommenterID: c.CommenterID, ID: c.ID, InsertInstant: c.InsertInstant, UserID: c.UserID}
}

// Add stores a comment on a user of the caller's scope, written by a user
// of that scope (POST /api/user/comment). Both are required; another
// tenant's user is refused exactly like an unknown one. The id and
// insertInstant are the server's, whatever the request says.
func (uc *UserComments) Add(ctx context.Context, scope Scope, in UserComment) (UserComment, error) {
	e := &Invalid{}
	switch n := utf8.RuneCountInString(in.Comment); {
	case strings.TrimSpace(in.Comment) == "":
		e.Field("blank", "userComment.comment", "You must specify the [comment] property.")
	case n > MaxUserCommentLength:
		e.Field("tooLong", "userComment.comment", "The [comment] is longer than 4000 characters.")
	}
	var user, commenter storage.User
	for _, f := range []struct {
		field, id string
		found     *storage.User
	}{{"userComment.userId", in.UserID, &user}, {"userComment.commenterId", in.CommenterID, &commenter}} {
		name := f.field[strings.IndexByte(f.field, '.')+1:]
		if f.id == "" {
			e.Field("blank", f.field, "You must specify the ["+name+"] property.")
			continue
		}
		u, err := uc.user(ctx, scope, f.id)
		switch {
		case errors.Is(err, ErrNotFound):
			e.Field("invalid", f.field, "No user exists with Id ["+truncate(f.id, 64)+"].")
		case err != nil:
			return UserComment{}, err
		default:
			*f.found = u
		}
	}
	if err := e.Err(); err != nil {
		return UserComment{}, err
	}
	now := uc.Now()
	c := storage.UserComment{ID: newID(), UserID: user.ID, TenantID: user.TenantID, CommenterID: commenter.ID,
		Comment: in.Comment, InsertInstant: now.UnixMilli()}
	v := commentView(c)
	err := uc.Store.CreateUserComment(ctx, c,
		audit(ctx, now, user.TenantID, "Added a comment to the user with Id ["+user.ID+"]", nil, v))
	if errors.Is(err, storage.ErrNotFound) { // the user was deleted meanwhile
		return UserComment{}, invalid("invalid", "userComment.userId", "No user exists with Id ["+truncate(in.UserID, 64)+"].")
	}
	return v, err
}

// List returns the comments on a user of the caller's scope, oldest first
// (GET /api/user/comment/{userId}); ErrNotFound for an unknown user.
func (uc *UserComments) List(ctx context.Context, scope Scope, userID string) ([]UserComment, error) {
	u, err := uc.user(ctx, scope, userID)
	if err != nil {
		return nil, err
	}
	cs, _, err := uc.Store.ListUserComments(ctx, storage.UserCommentFilter{UserID: u.ID})
	return views(cs), err
}

// UserCommentQuery is a search (POST /api/user/comment/search): the set
// fields are ANDed; Comment matches case-insensitively, '*' any run of
// characters, a value without '*' matches comments containing it.
type UserCommentQuery struct {
	Comment     string `json:"comment"`
	CommenterID string `json:"commenterId"`
	TenantID    string `json:"tenantId"`
	UserID      string `json:"userId"`
	OrderBy     string `json:"orderBy"` // insertInstant, then ASC or DESC (default)
	StartRow    int    `json:"startRow"`
	// NumberOfResults 0 is 25; at most MaxPageSize.
	NumberOfResults int `json:"numberOfResults"`
}

// Search returns one page of the comments the caller sees that q selects,
// newest first unless q.OrderBy says ASC, and their total. A scoped caller
// naming another tenant finds nothing.
func (uc *UserComments) Search(ctx context.Context, scope Scope, q UserCommentQuery) ([]UserComment, int, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	checkFilterID(e, "search.commenterId", q.CommenterID)
	checkFilterID(e, "search.tenantId", q.TenantID)
	checkFilterID(e, "search.userId", q.UserID)
	f := storage.UserCommentFilter{TenantID: q.TenantID, UserID: strings.ToLower(q.UserID), CommenterID: strings.ToLower(q.CommenterID),
		Comment: q.Comment, Offset: q.StartRow, Limit: pageSize(q.NumberOfResults, 25)}
	_, f.Desc, _ = parseOrderBy(e, q.OrderBy, []string{"insertInstant"}, "insertInstant", true)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	if scope.TenantID != "" {
		if f.TenantID != "" && !strings.EqualFold(f.TenantID, scope.TenantID) {
			return []UserComment{}, 0, nil
		}
		f.TenantID = scope.TenantID
	}
	f.TenantID = strings.ToLower(f.TenantID)
	cs, total, err := uc.Store.ListUserComments(ctx, f)
	return views(cs), total, err
}

func views(cs []storage.UserComment) []UserComment {
	out := make([]UserComment, len(cs))
	for i, c := range cs {
		out[i] = commentView(c)
	}
	return out
}

func (uc *UserComments) user(ctx context.Context, scope Scope, id string) (storage.User, error) {
	if !ValidID(id) {
		return storage.User{}, ErrNotFound
	}
	return scopedGet(ctx, uc.Store.GetUser, strings.ToLower(id), scope, userTenant)
}
