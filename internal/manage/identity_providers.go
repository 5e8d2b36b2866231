package manage

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// IdentityProviders is FusionAuth's identity-provider API for the
// OpenIDConnect type (apis/identity-providers/openid-connect.mdx).
type IdentityProviders struct {
	Store IdentityProvidersStore
	Now   func() time.Time

	updates recordLocks // Update's, by provider id
}

// IdentityProvidersStore is what IdentityProviders uses: the providers, the
// tenants their tenantConfiguration names and the lambdas
// lambdaConfiguration.reconcileId names.
type IdentityProvidersStore interface {
	storage.IdentityProviderStore
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetLambda(ctx context.Context, id string) (storage.Lambda, error)
}

// LinkingStrategies latchkey implements: link by email or create the user
// (LinkByEmail), link to an existing user only
// (LinkByEmailForExistingUser), the same by username (LinkByUsername,
// LinkByUsernameForExistingUser), create a user without email or username
// (LinkAnonymously), keep the account for the Link API to link
// (CreatePendingLink), or refuse users without a link (Disabled); Disabled
// stays last (the refusal's message lists the others before it).
var LinkingStrategies = []string{"LinkByEmail", "LinkByEmailForExistingUser", "LinkByUsername", "LinkByUsernameForExistingUser",
	"LinkAnonymously", "CreatePendingLink", "Disabled"}

// IdentityProviderDefaults are FusionAuth's defaults for omitted fields.
func IdentityProviderDefaults() storage.IdentityProvider {
	return storage.IdentityProvider{Type: "OpenIDConnect", LinkingStrategy: "LinkByEmail", Domains: []string{},
		ApplicationConfiguration: map[string]storage.IdentityProviderAppConfig{},
		OAuth2: storage.IdentityProviderOAuth2{ClientAuthenticationMethod: "client_secret_basic", EmailClaim: "email",
			EmailVerifiedClaim: "email_verified", UniqueIDClaim: "sub", UsernameClaim: "preferred_username"}}
}

// Create stores a new provider with id ("" generates one).
func (ps *IdentityProviders) Create(ctx context.Context, id string, p storage.IdentityProvider) (storage.IdentityProvider, error) {
	if id == "" {
		id = newID()
	}
	now := ps.Now().UnixMilli()
	p.ID, p.InsertInstant, p.LastUpdateInstant = id, now, now
	e := validateIdentityProvider(p)
	var err error
	if p.TenantConfiguration, err = ps.tenantConfiguration(ctx, e, p.TenantConfiguration, nil); err != nil {
		return p, err
	}
	if err := checkReconcileLambda(ctx, ps.Store, e, p.LambdaConfiguration.ReconcileID); err != nil {
		return p, err
	}
	if err := e.Err(); err != nil {
		return p, err
	}
	return p, conflict(ps.Store.CreateIdentityProvider(ctx, p, audit(ctx, ps.Now(), "", "Created the identity provider with Id ["+p.ID+"]", nil, p)), "duplicate", "identityProvider.name", "An identity provider with that name or id already exists.")
}

// Get returns a provider; ErrNotFound when unknown.
func (ps *IdentityProviders) Get(ctx context.Context, id string) (storage.IdentityProvider, error) {
	p, err := ps.Store.GetIdentityProvider(ctx, id)
	return p, notFound(err)
}

// List lists the providers, of one type when typ is set.
func (ps *IdentityProviders) List(ctx context.Context, typ string) ([]storage.IdentityProvider, error) {
	all, err := ps.Store.ListIdentityProviders(ctx)
	out := []storage.IdentityProvider{}
	for _, p := range all {
		if typ == "" || p.Type == typ {
			out = append(out, p)
		}
	}
	return out, err
}

// Lookup returns the enabled provider whose domains include domain
// (FusionAuth's "Lookup an Identity Provider": the managed domains the
// hosted login sends to their provider), compared without case; an email
// address counts by its domain. ErrNotFound when none manages it.
func (ps *IdentityProviders) Lookup(ctx context.Context, domain string) (storage.IdentityProvider, error) {
	if at := strings.LastIndexByte(domain, '@'); at >= 0 {
		domain = domain[at+1:]
	}
	domain = strings.TrimSpace(domain)
	if domain == "" {
		return storage.IdentityProvider{}, ErrNotFound
	}
	all, err := ps.Store.ListIdentityProviders(ctx)
	if err != nil {
		return storage.IdentityProvider{}, err
	}
	for _, p := range all {
		if p.Enabled && slices.ContainsFunc(p.Domains, func(d string) bool { return strings.EqualFold(strings.TrimSpace(d), domain) }) {
			return p, nil
		}
	}
	return storage.IdentityProvider{}, ErrNotFound
}

// Update replaces a provider through change; id, type and insert instant
// stay. A read-modify-write (recordLocks.rewrite): the write holds only
// while the provider is as read, so a concurrent change answered before
// it is never overwritten; change runs once per try.
func (ps *IdentityProviders) Update(ctx context.Context, id string, change func(storage.IdentityProvider) (storage.IdentityProvider, error)) (storage.IdentityProvider, error) {
	var p storage.IdentityProvider
	err := ps.updates.rewrite(id, func() error {
		cur, err := ps.Get(ctx, id)
		if err != nil {
			return err
		}
		if p, err = change(cur); err != nil {
			return err
		}
		p.ID, p.Type, p.InsertInstant, p.LastUpdateInstant, p.Revision = cur.ID, cur.Type, cur.InsertInstant, ps.Now().UnixMilli(), cur.Revision
		if p.OAuth2.ClientSecret == "" {
			p.OAuth2.ClientSecret = cur.OAuth2.ClientSecret
		}
		e := validateIdentityProvider(p)
		if p.TenantConfiguration, err = ps.tenantConfiguration(ctx, e, p.TenantConfiguration, cur.TenantConfiguration); err != nil {
			return err
		}
		if err := checkReconcileLambda(ctx, ps.Store, e, p.LambdaConfiguration.ReconcileID); err != nil {
			return err
		}
		if err := e.Err(); err != nil {
			return err
		}
		return conflict(notFound(ps.Store.UpdateIdentityProvider(ctx, p, audit(ctx, ps.Now(), "", "Updated the identity provider with Id ["+p.ID+"]", cur, p))), "duplicate", "identityProvider.name", "An identity provider with that name already exists.")
	})
	return p, err
}

// Delete removes a provider and its links.
func (ps *IdentityProviders) Delete(ctx context.Context, id string) error {
	p, err := ps.Get(ctx, id)
	if err != nil {
		return err
	}
	return notFound(ps.Store.DeleteIdentityProvider(ctx, id, audit(ctx, ps.Now(), "", "Deleted the identity provider with Id ["+id+"]", p, nil)))
}

func validateIdentityProvider(p storage.IdentityProvider) *Invalid {
	const f = "identityProvider."
	e := &Invalid{}
	if p.Type != "OpenIDConnect" {
		e.Field("invalid", f+"type", "latchkey supports identity providers of type OpenIDConnect.")
	}
	if p.Name == "" {
		e.Field("blank", f+"name", "You must specify the [identityProvider.name] property.")
	}
	if p.ButtonText == "" {
		e.Field("blank", f+"buttonText", "You must specify the [identityProvider.buttonText] property.")
	}
	if !slices.Contains(LinkingStrategies, p.LinkingStrategy) {
		e.Field("invalid", f+"linkingStrategy", "Use "+strings.Join(LinkingStrategies[:len(LinkingStrategies)-1], ", ")+" or Disabled.")
	}
	o := p.OAuth2
	if o.ClientID == "" {
		e.Field("blank", f+"oauth2.client_id", "You must specify the [identityProvider.oauth2.client_id] property.")
	}
	switch o.ClientAuthenticationMethod {
	case "client_secret_basic", "client_secret_post":
		if o.ClientSecret == "" {
			e.Field("blank", f+"oauth2.client_secret", "You must specify the [identityProvider.oauth2.client_secret] property.")
		}
	case "none":
	default:
		e.Field("invalid", f+"oauth2.clientAuthenticationMethod", "Use client_secret_basic, client_secret_post or none.")
	}
	urls := map[string]string{"issuer": o.Issuer, "authorization_endpoint": o.AuthorizationEndpoint,
		"token_endpoint": o.TokenEndpoint, "userinfo_endpoint": o.UserinfoEndpoint}
	if o.Issuer == "" {
		for _, n := range []string{"authorization_endpoint", "token_endpoint"} {
			if urls[n] == "" {
				e.Field("blank", f+"oauth2."+n, "Give [identityProvider.oauth2.issuer] or the ["+n+"].")
			}
		}
	}
	for _, n := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint"} {
		if v := urls[n]; v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				e.Field("invalid", f+"oauth2."+n, "The ["+n+"] must be an absolute http(s) URL.")
			}
		}
	}
	return e
}

// IdentityProviderSearch is FusionAuth's IdentityProviderSearchCriteria
// (identity-providers/index.mdx "Search for Identity Providers").
type IdentityProviderSearch struct {
	ApplicationID string // providers enabled for the application
	Name          string // case-insensitive pattern (MatchPattern)
	// TenantID is checked as an id and selects every provider: latchkey's
	// providers serve every tenant.
	TenantID                  string
	Type                      string
	OrderBy                   string // enabled, id, insertInstant, name (default) or type, then ASC or DESC
	StartRow, NumberOfResults int
}

// Search returns one page of the providers that match q, and how many
// match, without their client secret: a search lists providers, it does
// not hand out their credentials (GET /api/identity-provider/{id} does,
// as FusionAuth's retrieve does; an update that omits the secret keeps it).
func (ps *IdentityProviders) Search(ctx context.Context, q IdentityProviderSearch) ([]storage.IdentityProvider, int, error) {
	e := &Invalid{}
	checkFilterID(e, "search.applicationId", q.ApplicationID)
	checkFilterID(e, "search.tenantId", q.TenantID)
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	all, err := ps.Store.ListIdentityProviders(ctx)
	if err != nil {
		return nil, 0, err
	}
	app := strings.ToLower(q.ApplicationID)
	out := []storage.IdentityProvider{}
	for _, p := range all {
		if (q.Type == "" || p.Type == q.Type) && (q.Name == "" || MatchPattern(q.Name, p.Name)) &&
			(app == "" || p.ApplicationConfiguration[app].Enabled) {
			p.OAuth2.ClientSecret = ""
			out = append(out, p)
		}
	}
	sortByOrder(e, out, q.OrderBy, []orderKey[storage.IdentityProvider]{
		{"enabled", func(a, b storage.IdentityProvider) int { return cmp.Compare(boolKey(a.Enabled), boolKey(b.Enabled)) }},
		{"id", func(a, b storage.IdentityProvider) int { return strings.Compare(a.ID, b.ID) }},
		{"insertInstant", func(a, b storage.IdentityProvider) int { return cmp.Compare(a.InsertInstant, b.InsertInstant) }},
		{"name", func(a, b storage.IdentityProvider) int { return byName(a.Name, b.Name) }},
		{"type", func(a, b storage.IdentityProvider) int { return strings.Compare(a.Type, b.Type) }},
	}, func(p storage.IdentityProvider) string { return p.ID })
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	page, err := PageOf(out, q.StartRow, q.NumberOfResults)
	return page, len(out), err
}

// boolKey orders false before true.
func boolKey(b bool) int {
	if b {
		return 1
	}
	return 0
}
