package storage

import "context"

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
	InsertInstant            int64                                `json:"insertInstant"`
	LastUpdateInstant        int64                                `json:"lastUpdateInstant"`
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
// has the Revision read (ErrStale otherwise, nothing written).
type FederatedAccount struct {
	User                *User
	Registration        *Registration
	Link                IdentityProviderLink
	UpdatedUser         *User
	UpdatedRegistration *Registration
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
	// exist; either way nothing is stored.
	CreateIdentityProviderLink(ctx context.Context, l IdentityProviderLink, audit ...AuditEntry) error
	// ListIdentityProviderLinks returns a user's links, to providerID only
	// when it is set, by provider then upstream id.
	ListIdentityProviderLinks(ctx context.Context, userID, providerID string) ([]IdentityProviderLink, error)
	// DeleteIdentityProviderLink removes the link of an upstream account
	// when it is userID's, with the audit entries; ErrNotFound otherwise.
	DeleteIdentityProviderLink(ctx context.Context, providerID, providerUserID, userID string, audit ...AuditEntry) error
	// CreateFederatedAccount writes a FederatedAccount all or nothing:
	// ErrConflict when the link, the user's email or username, or the
	// registration exists already; ErrStale when an updated row changed
	// since it was read.
	CreateFederatedAccount(ctx context.Context, a FederatedAccount) error
}
