package storage

import (
	"context"
	"encoding/json"
	"errors"
)

// IdentityProvider is FusionAuth's OpenID Connect identity provider
// (apis/identity-providers/openid-connect.mdx), the fields latchkey uses.
type IdentityProvider struct {
	ID                       string                               `json:"id"`
	Type                     string                               `json:"type"`
	Name                     string                               `json:"name"`
	ButtonText               string                               `json:"buttonText"`
	ButtonImageURL           string                               `json:"buttonImageURL,omitempty"`
	Enabled                  bool                                 `json:"enabled"`
	Debug                    bool                                 `json:"debug"`
	Domains                  []string                             `json:"domains"`
	LinkingStrategy          string                               `json:"linkingStrategy"`
	OAuth2                   IdentityProviderOAuth2               `json:"oauth2"`
	ApplicationConfiguration map[string]IdentityProviderAppConfig `json:"applicationConfiguration"`
	LambdaConfiguration      IdentityProviderLambdaConfiguration  `json:"lambdaConfiguration"`
	// TenantConfiguration is identityProvider.tenantConfiguration, by
	// tenant id: the limit of links a user of that tenant may have to
	// this provider (FusionAuth 1.32).
	TenantConfiguration map[string]IdentityProviderTenantConfig `json:"tenantConfiguration,omitempty"`
	InsertInstant       int64                                   `json:"insertInstant"`
	LastUpdateInstant   int64                                   `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1), which UpdateIdentityProvider names to write only an unchanged row.
	// Never serialized.
	Revision int64 `json:"-"`
}

// IdentityProviderOAuth2 is identityProvider.oauth2: the upstream client
// and where to find the user's id, email and username in its claims.
type IdentityProviderOAuth2 struct {
	ClientID                   string `json:"client_id"`
	ClientSecret               string `json:"client_secret,omitempty"`
	ClientAuthenticationMethod string `json:"clientAuthenticationMethod"`
	AuthorizationEndpoint      string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint              string `json:"token_endpoint,omitempty"`
	UserinfoEndpoint           string `json:"userinfo_endpoint,omitempty"`
	Issuer                     string `json:"issuer,omitempty"`
	Scope                      string `json:"scope,omitempty"`
	EmailClaim                 string `json:"emailClaim"`
	EmailVerifiedClaim         string `json:"emailVerifiedClaim"`
	UniqueIDClaim              string `json:"uniqueIdClaim"`
	UsernameClaim              string `json:"usernameClaim"`
}

// IdentityProviderLambdaConfiguration is identityProvider.lambdaConfiguration:
// the OpenIDReconcile lambda run on every login through the provider.
type IdentityProviderLambdaConfiguration struct {
	ReconcileID string `json:"reconcileId,omitempty"`
}

// IdentityProviderAppConfig is identityProvider.applicationConfiguration[appId].
type IdentityProviderAppConfig struct {
	Enabled            bool   `json:"enabled"`
	CreateRegistration bool   `json:"createRegistration"`
	ButtonText         string `json:"buttonText,omitempty"`
}

// IdentityProviderTenantConfig is identityProvider.tenantConfiguration[tenantId].
type IdentityProviderTenantConfig struct {
	Data               map[string]any                  `json:"data,omitempty"`
	LimitUserLinkCount IdentityProviderLinkLimitPolicy `json:"limitUserLinkCount"`
}

// DefaultMaximumLinks is FusionAuth's default limitUserLinkCount.maximumLinks.
const DefaultMaximumLinks = 42

// UnmarshalJSON reads a tenant's configuration, an omitted
// limitUserLinkCount or maximumLinks taking FusionAuth's default.
func (c *IdentityProviderTenantConfig) UnmarshalJSON(b []byte) error {
	type plain IdentityProviderTenantConfig
	v := plain{LimitUserLinkCount: IdentityProviderLinkLimitPolicy{MaximumLinks: DefaultMaximumLinks}}
	err := json.Unmarshal(b, &v)
	*c = IdentityProviderTenantConfig(v)
	return err
}

// IdentityProviderLinkLimitPolicy is FusionAuth's
// IdentityProviderLimitUserLinkingPolicy: when Enabled, a user has at most
// MaximumLinks links to the provider.
type IdentityProviderLinkLimitPolicy struct {
	Enabled      bool `json:"enabled"`
	MaximumLinks int  `json:"maximumLinks"`
}

// UnmarshalJSON reads the policy, an omitted maximumLinks being 42.
func (l *IdentityProviderLinkLimitPolicy) UnmarshalJSON(b []byte) error {
	type plain IdentityProviderLinkLimitPolicy
	v := plain{MaximumLinks: DefaultMaximumLinks}
	err := json.Unmarshal(b, &v)
	*l = IdentityProviderLinkLimitPolicy(v)
	return err
}

// MaxLinks is how many links a user of tenantID may have to p: its
// enabled limitUserLinkCount's maximumLinks, or 0 for no limit.
func (p IdentityProvider) MaxLinks(tenantID string) int {
	c, ok := p.TenantConfiguration[tenantID]
	if !ok || !c.LimitUserLinkCount.Enabled {
		return 0
	}
	return c.LimitUserLinkCount.MaximumLinks
}

// ErrLinkLimit: the link would give its user more links to the provider
// than maxLinks allows; nothing was written.
var ErrLinkLimit = errors.New("storage: the user has the most links the identity provider allows")

// IdentityProviderLink ties a user to their account at an identity
// provider (its uniqueIdClaim value).
type IdentityProviderLink struct {
	IdentityProviderID     string `json:"identityProviderId"`
	IdentityProviderUserID string `json:"identityProviderUserId"`
	UserID                 string `json:"userId"`
	TenantID               string `json:"tenantId"`
	DisplayName            string `json:"displayName,omitempty"`
	InsertInstant          int64  `json:"insertInstant"`
}

// PendingIdPLink is what a federated login under the CreatePendingLink
// strategy keeps of an upstream account linked to nobody in the
// application's tenant, as the Data of a ChallengePendingIdPLink challenge
// (its hash the pendingIdPLinkId's, its TenantID the application's): the
// Link API links it to a user of that tenant later (FusionAuth's
// PendingIdPLink).
type PendingIdPLink struct {
	IdentityProviderID     string `json:"identityProviderId"`
	IdentityProviderUserID string `json:"identityProviderUserId"`
	ApplicationID          string `json:"applicationId"`
	DisplayName            string `json:"displayName,omitempty"`
	Email                  string `json:"email,omitempty"`
	Username               string `json:"username,omitempty"`
}

// FederatedAccount is what a federated login writes in one transaction:
// the new user (nil when linking an existing one), the registration to
// create (nil when none), the link (none when IdentityProviderID is
// empty: an earlier login linked the user), and what the provider's
// reconcile lambda changed of an existing user and of their existing
// registration (nil when nothing), each written only while its row still
// has the Revision read (ErrStale otherwise, nothing written). MaxLinks,
// when not 0, is how many links to the provider the user may have with
// the new one.
type FederatedAccount struct {
	User                *User
	Registration        *Registration
	Link                IdentityProviderLink
	UpdatedUser         *User
	UpdatedRegistration *Registration
	MaxLinks            int
}

// IdentityProviderStore stores identity providers and the users' links.
type IdentityProviderStore interface {
	CreateIdentityProvider(ctx context.Context, p IdentityProvider, audit ...AuditEntry) error // ErrConflict: id or name taken
	GetIdentityProvider(ctx context.Context, id string) (IdentityProvider, error)
	ListIdentityProviders(ctx context.Context) ([]IdentityProvider, error)
	// UpdateIdentityProvider: ErrNotFound, ErrConflict; ErrStale when
	// p.Revision is not 0 and not the row's (nothing written).
	UpdateIdentityProvider(ctx context.Context, p IdentityProvider, audit ...AuditEntry) error
	// DeleteIdentityProvider removes the provider and its links.
	DeleteIdentityProvider(ctx context.Context, id string, audit ...AuditEntry) error
	// GetIdentityProviderLink finds the link of an upstream account in a
	// tenant (each tenant links an upstream account to a user of its own).
	GetIdentityProviderLink(ctx context.Context, tenantID, providerID, providerUserID string) (IdentityProviderLink, error)
	// CreateIdentityProviderLink stores an admin's link (FusionAuth's "Link
	// a User") with the audit entries; l.TenantID is its user's tenant:
	// ErrConflict when the upstream account is linked in that tenant already, ErrNotFound when the provider or the user does not
	// exist, ErrLinkLimit when maxLinks is not 0 and the user would have
	// more links to the provider than that (decided under the user's
	// lock: concurrent links never pass it together); nothing is stored
	// on any error.
	CreateIdentityProviderLink(ctx context.Context, l IdentityProviderLink, maxLinks int, audit ...AuditEntry) error
	// ListIdentityProviderLinks returns a user's links, to providerID only
	// when it is set, by provider then upstream id.
	ListIdentityProviderLinks(ctx context.Context, userID, providerID string) ([]IdentityProviderLink, error)
	// DeleteIdentityProviderLink removes the link of an upstream account
	// when it is userID's, with the audit entries; ErrNotFound otherwise.
	DeleteIdentityProviderLink(ctx context.Context, providerID, providerUserID, userID string, audit ...AuditEntry) error
	// CreateFederatedAccount writes a FederatedAccount all or nothing:
	// ErrConflict when the link, the user's email or username, or the
	// registration exists already; ErrStale when an updated row changed
	// since it was read; ErrLinkLimit as CreateIdentityProviderLink's.
	CreateFederatedAccount(ctx context.Context, a FederatedAccount) error
}
