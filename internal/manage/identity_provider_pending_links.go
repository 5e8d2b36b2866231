package manage

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// PendingIdPLink is FusionAuth's PendingIdPLink as answered (GET
// /api/identity-provider/link/pending/{id}).
type PendingIdPLink struct {
	DisplayName            string `json:"displayName,omitempty"`
	Email                  string `json:"email,omitempty"`
	IdentityProviderID     string `json:"identityProviderId"`
	IdentityProviderName   string `json:"identityProviderName,omitempty"`
	IdentityProviderType   string `json:"identityProviderType,omitempty"`
	IdentityProviderUserID string `json:"identityProviderUserId"`
	Username               string `json:"username,omitempty"`
}

// PendingLinkResponse is FusionAuth's IdentityProviderPendingLinkResponse:
// the pending link; its provider's tenantConfiguration for the pending
// link's tenant when it has one; and, when a user was named, how many
// links that user has to the provider.
type PendingLinkResponse struct {
	IdentityProviderTenantConfiguration *storage.IdentityProviderTenantConfig `json:"identityProviderTenantConfiguration,omitempty"`
	LinkCount                           *int                                  `json:"linkCount,omitempty"`
	PendingIdPLink                      PendingIdPLink                        `json:"pendingIdPLink"`
}

// Pending returns the pending link id names (kept by a federated login
// under CreatePendingLink, auth.PendingLink) while it is live and its
// tenant is in the caller's scope, and, when userID names a user of that
// tenant, how many links that user has to its provider; ErrNotFound
// otherwise (an unknown, expired, used or another tenant's id alike).
func (ls *IdentityProviderLinks) Pending(ctx context.Context, scope Scope, id, userID string) (PendingLinkResponse, error) {
	pl, tenantID, err := ls.pending(ctx, scope, id)
	if err != nil {
		return PendingLinkResponse{}, err
	}
	p, err := ls.provider(ctx, pl.IdentityProviderID)
	if err != nil {
		return PendingLinkResponse{}, err
	}
	out := PendingLinkResponse{PendingIdPLink: PendingIdPLink{DisplayName: pl.DisplayName, Email: pl.Email, IdentityProviderID: p.ID,
		IdentityProviderName: p.Name, IdentityProviderType: p.Type, IdentityProviderUserID: pl.IdentityProviderUserID, Username: pl.Username}}
	if c, ok := p.TenantConfiguration[tenantID]; ok {
		out.IdentityProviderTenantConfiguration = &c
	}
	if userID == "" {
		return out, nil
	}
	u, err := ls.user(ctx, scope, userID)
	if err == nil && u.TenantID != tenantID {
		err = ErrNotFound
	}
	if err != nil {
		return PendingLinkResponse{}, err
	}
	links, err := ls.Store.ListIdentityProviderLinks(ctx, u.ID, p.ID)
	if err != nil {
		return PendingLinkResponse{}, err
	}
	n := len(links)
	out.LinkCount = &n
	return out, nil
}

// pending reads a live pending link of the caller's scope and its tenant.
func (ls *IdentityProviderLinks) pending(ctx context.Context, scope Scope, id string) (storage.PendingIdPLink, string, error) {
	if id == "" || len(id) > 128 {
		return storage.PendingIdPLink{}, "", ErrNotFound
	}
	c, err := ls.Store.GetChallenge(ctx, storage.ChallengePendingIdPLink, auth.HashIdentifier(id), ls.Now())
	if err != nil {
		return storage.PendingIdPLink{}, "", notFound(err)
	}
	if !scope.Sees(c.TenantID) {
		return storage.PendingIdPLink{}, "", ErrNotFound
	}
	var pl storage.PendingIdPLink
	if err := json.Unmarshal(c.Data, &pl); err != nil {
		return storage.PendingIdPLink{}, "", err
	}
	return pl, c.TenantID, nil
}

// LinkPending links userID, a user of the pending link's tenant in the
// caller's scope, to the upstream account the pending link id names (POST
// /api/identity-provider/link with pendingIdPLinkId, links.mdx "Complete a
// Pending Link"), as Link does, and ends the pending link: it links once.
// An unknown, expired, used or another tenant's id is
// [invalid]pendingIdPLinkId, a user of another tenant
// [invalid]identityProviderLink.userId, a user at the provider's link
// limit [tooMany]identityProviderLink.userId (Link's): nothing changed,
// and the pending link stays for another user.
func (ls *IdentityProviderLinks) LinkPending(ctx context.Context, scope Scope, id, userID string) (IdentityProviderLink, error) {
	pl, tenantID, err := ls.pending(ctx, scope, id)
	if errors.Is(err, ErrNotFound) {
		return IdentityProviderLink{}, invalid("invalid", "pendingIdPLinkId", "No pending link exists with that Id, or it has expired.")
	}
	if err != nil {
		return IdentityProviderLink{}, err
	}
	if u, err := ls.user(ctx, scope, userID); err == nil && u.TenantID != tenantID {
		return IdentityProviderLink{}, invalid("invalid", "identityProviderLink.userId", "No user exists with Id ["+truncate(userID, 64)+"].")
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return IdentityProviderLink{}, err
	}
	l, err := ls.Link(ctx, scope, LinkRequest{IdentityProviderID: pl.IdentityProviderID, IdentityProviderUserID: pl.IdentityProviderUserID,
		UserID: userID, DisplayName: pl.DisplayName})
	if err != nil {
		return l, err
	}
	// Linked: the pending link is spent. A concurrent completion that
	// consumed it first linked the same account (an upstream account links
	// to one user of a tenant: the other user's Link was [duplicate]).
	if _, err := ls.Store.ConsumeChallenge(ctx, storage.ChallengePendingIdPLink, auth.HashIdentifier(id), ls.Now()); err != nil &&
		!errors.Is(err, storage.ErrNotFound) {
		return l, err
	}
	return l, nil
}
