package manage

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// MaxLinkValueLength bounds a link's identityProviderUserId and
// displayName, in characters: FusionAuth documents no bound, and an
// upstream id is a short claim (docs/api.md).
const MaxLinkValueLength = 255

// IdentityProviderLinksStore is what IdentityProviderLinks uses.
type IdentityProviderLinksStore interface {
	userReader
	GetIdentityProvider(ctx context.Context, id string) (storage.IdentityProvider, error)
	GetIdentityProviderLink(ctx context.Context, tenantID, providerID, providerUserID string) (storage.IdentityProviderLink, error)
	CreateIdentityProviderLink(ctx context.Context, l storage.IdentityProviderLink, maxLinks int, audit ...storage.AuditEntry) error
	ListIdentityProviderLinks(ctx context.Context, userID, providerID string) ([]storage.IdentityProviderLink, error)
	DeleteIdentityProviderLink(ctx context.Context, providerID, providerUserID, userID string, audit ...storage.AuditEntry) error
	GetChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Challenge, error)
	ConsumeChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Challenge, error)
}

// IdentityProviderLinks is FusionAuth's Link API
// (apis/identity-providers/links.mdx): an admin links a user to their
// account at an identity provider, reads a user's links and removes one.
// The links are the ones a federated login follows (auth.FederatedUser), so
// a link made here decides who that upstream account logs in as.
type IdentityProviderLinks struct {
	Store IdentityProviderLinksStore
	Now   func() time.Time
}

// IdentityProviderLink is FusionAuth's IdentityProviderLink as answered,
// with the provider's name and type. latchkey keeps no upstream token, so
// there is never a token member.
type IdentityProviderLink struct {
	DisplayName            string `json:"displayName,omitempty"`
	IdentityProviderID     string `json:"identityProviderId"`
	IdentityProviderName   string `json:"identityProviderName,omitempty"`
	IdentityProviderType   string `json:"identityProviderType,omitempty"`
	IdentityProviderUserID string `json:"identityProviderUserId"`
	InsertInstant          int64  `json:"insertInstant"`
	TenantID               string `json:"tenantId"`
	UserID                 string `json:"userId"`
}

// LinkRequest is what "Link a User" asks: the provider, the user's id
// there, the user, and an optional display name.
type LinkRequest struct {
	IdentityProviderID     string
	IdentityProviderUserID string
	UserID                 string
	DisplayName            string
}

// Link links req.UserID, a user of the caller's scope, to their account
// req.IdentityProviderUserID at an existing provider (POST
// /api/identity-provider/link). An upstream account is linked to one user
// of each tenant at most: linking it again to another user of the tenant is
// [duplicate]identityProviderLink.identityProviderUserId and changes
// nothing; linking it again to the same user answers the link as it is.
// Another tenant's user is refused exactly like an unknown one. A user who
// has the links the provider's tenantConfiguration allows them (its
// enabled limitUserLinkCount for the user's tenant) gets no other:
// [tooMany]identityProviderLink.userId, nothing changed, decided in the
// write so that concurrent links never pass the limit together.
func (ls *IdentityProviderLinks) Link(ctx context.Context, scope Scope, req LinkRequest) (IdentityProviderLink, error) {
	const f = "identityProviderLink."
	e := &Invalid{}
	var p storage.IdentityProvider
	var user storage.User
	switch {
	case req.IdentityProviderID == "":
		e.Field("blank", f+"identityProviderId", "You must specify the [identityProviderId] property.")
	default:
		var err error
		p, err = ls.provider(ctx, req.IdentityProviderID)
		if errors.Is(err, ErrNotFound) {
			e.Field("invalid", f+"identityProviderId", "No identity provider exists with Id ["+truncate(req.IdentityProviderID, 64)+"].")
		} else if err != nil {
			return IdentityProviderLink{}, err
		}
	}
	switch n := utf8.RuneCountInString(req.IdentityProviderUserID); {
	case strings.TrimSpace(req.IdentityProviderUserID) == "":
		e.Field("blank", f+"identityProviderUserId", "You must specify the [identityProviderUserId] property.")
	case n > MaxLinkValueLength:
		e.Field("tooLong", f+"identityProviderUserId", "The [identityProviderUserId] is longer than 255 characters.")
	case strings.ContainsRune(req.IdentityProviderUserID, 0):
		e.Field("invalid", f+"identityProviderUserId", "The [identityProviderUserId] contains a NUL character.")
	}
	switch {
	case utf8.RuneCountInString(req.DisplayName) > MaxLinkValueLength:
		e.Field("tooLong", f+"displayName", "The [displayName] is longer than 255 characters.")
	case strings.ContainsRune(req.DisplayName, 0):
		e.Field("invalid", f+"displayName", "The [displayName] contains a NUL character.")
	}
	switch {
	case req.UserID == "":
		e.Field("blank", f+"userId", "You must specify the [userId] property.")
	default:
		var err error
		user, err = ls.user(ctx, scope, req.UserID)
		if errors.Is(err, ErrNotFound) {
			e.Field("invalid", f+"userId", "No user exists with Id ["+truncate(req.UserID, 64)+"].")
		} else if err != nil {
			return IdentityProviderLink{}, err
		}
	}
	if err := e.Err(); err != nil {
		return IdentityProviderLink{}, err
	}
	now := ls.Now()
	l := storage.IdentityProviderLink{IdentityProviderID: p.ID, IdentityProviderUserID: req.IdentityProviderUserID,
		UserID: user.ID, TenantID: user.TenantID, DisplayName: req.DisplayName, InsertInstant: now.UnixMilli()}
	v := linkView(l, p)
	maxLinks := p.MaxLinks(user.TenantID)
	err := ls.Store.CreateIdentityProviderLink(ctx, l, maxLinks, audit(ctx, now, user.TenantID,
		"Linked the user with Id ["+user.ID+"] to the identity provider with Id ["+p.ID+"]", nil, v))
	switch {
	case errors.Is(err, storage.ErrConflict):
		cur, gerr := ls.Store.GetIdentityProviderLink(ctx, l.TenantID, l.IdentityProviderID, l.IdentityProviderUserID)
		if gerr == nil && cur.UserID == user.ID {
			return linkView(cur, p), nil
		}
		return IdentityProviderLink{}, invalid("duplicate", f+"identityProviderUserId",
			"The identity provider user is already linked to a user.")
	case errors.Is(err, storage.ErrLinkLimit):
		return IdentityProviderLink{}, invalid("tooMany", f+"userId",
			"The user has the most links to this identity provider its tenant allows ["+strconv.Itoa(maxLinks)+"].")
	case errors.Is(err, storage.ErrNotFound): // the user or provider was deleted meanwhile
		return IdentityProviderLink{}, invalid("invalid", f+"userId", "No user exists with Id ["+truncate(req.UserID, 64)+"].")
	}
	return v, err
}

// Get returns the link of an upstream account in a tenant, when its user is
// in the caller's scope and, if userID is set, is that user (FusionAuth's
// "Retrieve a single link"); ErrNotFound otherwise. The tenant is userID's
// when it is set, else the scoped key's, else the default tenant (each
// tenant links an upstream account to a user of its own).
func (ls *IdentityProviderLinks) Get(ctx context.Context, scope Scope, providerID, providerUserID, userID string) (IdentityProviderLink, error) {
	p, err := ls.provider(ctx, providerID)
	if err != nil {
		return IdentityProviderLink{}, err
	}
	if strings.ContainsRune(providerUserID, 0) {
		return IdentityProviderLink{}, ErrNotFound // Link refuses it: no link holds one
	}
	tenantID := scope.TenantID
	if userID != "" {
		u, err := ls.user(ctx, scope, userID)
		if err != nil {
			return IdentityProviderLink{}, err
		}
		tenantID = u.TenantID
	}
	if tenantID == "" {
		tenantID = DefaultTenantID
	}
	l, err := ls.Store.GetIdentityProviderLink(ctx, tenantID, p.ID, providerUserID)
	if err != nil {
		return IdentityProviderLink{}, notFound(err)
	}
	if !scope.Sees(l.TenantID) || (userID != "" && !strings.EqualFold(userID, l.UserID)) {
		return IdentityProviderLink{}, ErrNotFound
	}
	return linkView(l, p), nil
}

// List returns the links of a user of the caller's scope, to one provider
// when providerID is set (FusionAuth's "Retrieve all links for a user");
// ErrNotFound for an unknown user or provider.
func (ls *IdentityProviderLinks) List(ctx context.Context, scope Scope, providerID, userID string) ([]IdentityProviderLink, error) {
	u, err := ls.user(ctx, scope, userID)
	if err != nil {
		return nil, err
	}
	if providerID != "" {
		if _, err := ls.provider(ctx, providerID); err != nil {
			return nil, err
		}
	}
	links, err := ls.Store.ListIdentityProviderLinks(ctx, u.ID, strings.ToLower(providerID))
	if err != nil {
		return nil, err
	}
	out := make([]IdentityProviderLink, 0, len(links))
	providers := map[string]storage.IdentityProvider{}
	for _, l := range links {
		p, ok := providers[l.IdentityProviderID]
		if !ok {
			if p, err = ls.Store.GetIdentityProvider(ctx, l.IdentityProviderID); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, err
			}
			providers[l.IdentityProviderID] = p
		}
		out = append(out, linkView(l, p))
	}
	return out, nil
}

// Unlink removes the link of an upstream account to userID, a user of the
// caller's scope (DELETE /api/identity-provider/link); ErrNotFound when
// there is no such link. A later login through the provider finds no link
// and follows the provider's linkingStrategy.
func (ls *IdentityProviderLinks) Unlink(ctx context.Context, scope Scope, providerID, providerUserID, userID string) error {
	l, err := ls.Get(ctx, scope, providerID, providerUserID, userID)
	if err != nil {
		return err
	}
	now := ls.Now()
	return notFound(ls.Store.DeleteIdentityProviderLink(ctx, l.IdentityProviderID, l.IdentityProviderUserID, l.UserID,
		audit(ctx, now, l.TenantID, "Unlinked the user with Id ["+l.UserID+"] from the identity provider with Id ["+l.IdentityProviderID+"]", l, nil)))
}

func linkView(l storage.IdentityProviderLink, p storage.IdentityProvider) IdentityProviderLink {
	return IdentityProviderLink{DisplayName: l.DisplayName, IdentityProviderID: l.IdentityProviderID, IdentityProviderName: p.Name,
		IdentityProviderType: p.Type, IdentityProviderUserID: l.IdentityProviderUserID, InsertInstant: l.InsertInstant,
		TenantID: l.TenantID, UserID: l.UserID}
}

func (ls *IdentityProviderLinks) provider(ctx context.Context, id string) (storage.IdentityProvider, error) {
	if !ValidID(id) {
		return storage.IdentityProvider{}, ErrNotFound
	}
	p, err := ls.Store.GetIdentityProvider(ctx, strings.ToLower(id))
	return p, notFound(err)
}

func (ls *IdentityProviderLinks) user(ctx context.Context, scope Scope, id string) (storage.User, error) {
	if !ValidID(id) {
		return storage.User{}, ErrNotFound
	}
	return scopedGet(ctx, ls.Store.GetUser, strings.ToLower(id), scope, userTenant)
}
