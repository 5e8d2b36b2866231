package manage

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ApplicationsStore is what Applications uses.
type ApplicationsStore interface {
	applicationReader
	sessionRevoker
	CreateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	UpdateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error
	DeleteApplicationWith(ctx context.Context, d storage.ApplicationDeletion) error
	GetLambda(ctx context.Context, id string) (storage.Lambda, error)
	// ListTenants: a search ordered by tenant orders by their names.
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
}

// ApplicationCache is the node-local application cache a change must clear.
type ApplicationCache interface {
	ForgetApplication(id string)
}

// Applications is the application API (applications.mdx; fusionauth-api.md
// §6.1-§6.3). Roles are created with the application and not changed by an
// update (FusionAuth has a role API for that).
type Applications struct {
	Store ApplicationsStore
	Cache ApplicationCache
	Now   func() time.Time
	// Revokes prepares the jwt.refresh-token.revoke of a deactivated
	// application's sessions (nil: none); Events wakes the webhook worker.
	Revokes RevokeEventer
	Events  *events.Publisher

	updates recordLocks // read-modify-writes, by application id
}

func applicationTenant(a storage.Application) string { return a.TenantID }

// ApplicationDefaults is what a request's omitted fields become
// (fusionauth-api.md §6.1-§6.3): login flags allowTokenRefresh=false,
// generateRefreshTokens=false, requireAuthentication=true; jwtConfiguration
// disabled with FusionAuth's lifetimes; no grants, origins or roles.
func ApplicationDefaults() storage.Application {
	return storage.Application{
		Roles: []storage.ApplicationRole{},
		JWTConfiguration: storage.ApplicationJWTConfig{
			TimeToLiveInSeconds:             3600,
			RefreshTokenTimeToLiveInMinutes: 43200,
			RefreshTokenExpirationPolicy:    "Fixed",
			RefreshTokenUsagePolicy:         "Reusable",
			RefreshTokenSlidingWindowConfiguration: storage.RefreshTokenSlidingWindowConfiguration{
				MaximumTimeToLiveInMinutes: 43200,
			},
		},
		LoginConfiguration: storage.ApplicationLoginConfig{RequireAuthentication: true},
		OAuthConfiguration: storage.ApplicationOAuthConfig{
			ClientAuthenticationPolicy: "Required",
			EnabledGrants:              []string{},
			AuthorizedOriginURLs:       []string{},
			AuthorizedRedirectURLs:     []string{},
		},
	}
}

// Create stores a as a new application with id ("" generates one). The
// server owns the id, tenant, state and instants, role ids, the client id
// and, when blank, the client secret.
func (as *Applications) Create(ctx context.Context, id string, a storage.Application) (storage.Application, error) {
	if id == "" {
		id = newID()
	}
	now := as.Now().UnixMilli()
	a.ID, a.TenantID, a.Active, a.State, a.InsertInstant, a.LastUpdateInstant = id, DefaultTenantID, true, "Active", now, now
	for i := range a.Roles {
		a.Roles[i].ID, a.Roles[i].InsertInstant, a.Roles[i].LastUpdateInstant = newID(), now, now
	}
	finishApplication(&a, "")
	e := validateApplication(a)
	if err := checkLambdas(ctx, as.Store, e, a.LambdaConfiguration); err != nil {
		return a, err
	}
	if _, err := as.Store.GetApplication(ctx, id); err == nil {
		e.Field("duplicate", "application.id", "An application with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return a, err
	}
	if err := e.Err(); err != nil {
		return a, err
	}
	if err := as.Store.CreateApplication(ctx, a, audit(ctx, as.Now(), a.TenantID, "Created the application with Id ["+a.ID+"]", nil, a)); errors.Is(err, storage.ErrConflict) {
		return a, invalid("duplicate", "application.id", "An application with Id ["+id+"] already exists.")
	} else if err != nil {
		return a, err
	}
	return a, nil
}

// List returns the active applications scope sees, or the inactive ones.
func (as *Applications) List(ctx context.Context, scope Scope, inactive bool) ([]storage.Application, error) {
	return scopedList(ctx, func(ctx context.Context) ([]storage.Application, error) {
		return as.Store.ListApplications(ctx, inactive)
	}, scope, applicationTenant)
}

// Get returns one application, active or not; ErrNotFound outside scope.
func (as *Applications) Get(ctx context.Context, scope Scope, id string) (storage.Application, error) {
	return scopedGet(ctx, as.Store.GetApplication, id, scope, applicationTenant)
}

// Update replaces the application id with change's result (a PUT, or a
// PATCH applied to the current one). Id, tenant, state, roles and the
// insert instant are kept; a blank client secret keeps the old one. An
// error of change is returned as it is.
//
// The write holds only while the application is as it was read (its
// revision); when another write committed in between (another update, a
// role change) the application is read again and change applied again
// (retryStale), so no acknowledged write is overwritten; change runs once
// per try. ErrContended when every try lost.
func (as *Applications) Update(ctx context.Context, scope Scope, id string, change func(storage.Application) (storage.Application, error)) (storage.Application, error) {
	return as.rewrite(ctx, scope, id, func(cur storage.Application) (storage.Application, string, error) {
		a, err := change(cur)
		if err != nil {
			return a, "", err
		}
		a.ID, a.TenantID, a.Active, a.State, a.Roles, a.InsertInstant = cur.ID, cur.TenantID, cur.Active, cur.State, cur.Roles, cur.InsertInstant
		finishApplication(&a, cur.OAuthConfiguration.ClientSecret)
		e := validateApplication(a)
		if err := checkLambdas(ctx, as.Store, e, a.LambdaConfiguration); err != nil {
			return a, "", err
		}
		return a, "Updated", e.Err()
	})
}

// RegenerateSecret gives the application a new client secret, returned
// once (the audit entry names the change, never the value): the old one
// is refused from the next token request on.
func (as *Applications) RegenerateSecret(ctx context.Context, scope Scope, id string) (string, error) {
	secret := newClientSecret()
	_, err := as.Update(ctx, scope, id, func(a storage.Application) (storage.Application, error) {
		a.OAuthConfiguration.ClientSecret = secret
		return a, nil
	})
	return secret, err
}

// Reactivate makes a soft-deleted application active again.
func (as *Applications) Reactivate(ctx context.Context, scope Scope, id string) (storage.Application, error) {
	return as.rewrite(ctx, scope, id, func(a storage.Application) (storage.Application, string, error) {
		a.Active, a.State = true, "Active"
		return a, "Reactivated", nil
	})
}

// rewrite is a read-modify-write of the application id: each try reads
// it, applies edit (the new application and the verb of its audit entry)
// and writes the result on the condition that the application's revision
// is still the one read (retryStale); it returns what the last try wrote
// or tried to. This node's rewrites of one application queue behind each
// other (recordLocks); its cached copy is cleared whatever the outcome.
func (as *Applications) rewrite(ctx context.Context, scope Scope, id string, edit func(cur storage.Application) (storage.Application, string, error)) (storage.Application, error) {
	unlock := as.updates.lock(strings.ToLower(id))
	defer unlock()
	defer as.Cache.ForgetApplication(id) // this node at once; others within the cache TTL
	var a storage.Application
	err := retryStale(func() error {
		cur, err := as.Get(ctx, scope, id)
		if err != nil {
			a = cur
			return err
		}
		var verb string
		if a, verb, err = edit(cur); err != nil {
			return err
		}
		a.Revision, a.LastUpdateInstant = cur.Revision, as.Now().UnixMilli()
		return notFound(as.Store.UpdateApplication(ctx, a, audit(ctx, as.Now(), a.TenantID, verb+" the application with Id ["+a.ID+"]", cur, a)))
	})
	return a, err
}

// Deactivate is the soft delete: the application becomes inactive and its
// refresh tokens are revoked, so nothing issued for it keeps working.
func (as *Applications) Deactivate(ctx context.Context, scope Scope, id string) error {
	a, err := as.rewrite(ctx, scope, id, func(a storage.Application) (storage.Application, string, error) {
		a.Active, a.State = false, "Inactive"
		return a, "Deactivated", nil
	})
	if err != nil {
		return err
	}
	return revokeWith(ctx, as.Store, as.Revokes, as.Events, auth.Revoked{TenantID: a.TenantID,
		Filter: storage.RefreshTokenFilter{ApplicationID: a.ID}}, as.Now(), "application_deactivated")
}

// Delete removes the application with its registrations and tokens; its
// sessions stay in the revocation feed as tombstones (storage.DeleteApplicationAt)
// and their jwt.refresh-token.revoke commits with the delete.
func (as *Applications) Delete(ctx context.Context, scope Scope, id string) error {
	a, err := as.Get(ctx, scope, id)
	if err != nil {
		return err
	}
	// Prepared while the application still exists (the event names its
	// access tokens' lifetime).
	msgs, err := revokeEvents(ctx, as.Revokes, auth.Revoked{TenantID: a.TenantID, Filter: storage.RefreshTokenFilter{ApplicationID: a.ID}})
	if err != nil {
		return err
	}
	err = as.Store.DeleteApplicationWith(ctx, storage.ApplicationDeletion{ID: a.ID, At: as.Now(), Outbox: msgs,
		Audit: []storage.AuditEntry{audit(ctx, as.Now(), a.TenantID, "Deleted the application with Id ["+a.ID+"]", a, nil)}})
	if err == nil {
		as.Events.Committed(msgs)
	}
	as.Cache.ForgetApplication(a.ID)
	return err
}

// finishApplication fills what the server owns: clientId is the application
// id (read-only), and a blank client secret is generated on create and kept
// on update (fusionauth-api.md §6.3).
func finishApplication(a *storage.Application, oldSecret string) {
	a.OAuthConfiguration.ClientID = a.ID
	if a.OAuthConfiguration.ClientSecret == "" {
		a.OAuthConfiguration.ClientSecret = oldSecret
	}
	if a.OAuthConfiguration.ClientSecret == "" {
		a.OAuthConfiguration.ClientSecret = newClientSecret()
	}
	for _, f := range []*[]string{&a.OAuthConfiguration.EnabledGrants, &a.OAuthConfiguration.AuthorizedOriginURLs, &a.OAuthConfiguration.AuthorizedRedirectURLs} {
		if *f == nil {
			*f = []string{}
		}
	}
	if a.Roles == nil {
		a.Roles = []storage.ApplicationRole{}
	}
}

// newClientSecret is a new application's client secret: 52 base32
// characters, 260 random bits.
func newClientSecret() string { return rand.Text() + rand.Text() }

var (
	grantTypes   = []string{"authorization_code", "implicit", "password", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"}
	clientPolicy = []string{"Required", "NotRequired", "NotRequiredWhenUsingPKCE"}
)

func validateApplication(a storage.Application) *Invalid {
	e := &Invalid{}
	if a.Name == "" {
		e.Field("blank", "application.name", "You must specify the [application.name] property.")
	}
	// Checked whatever jwtConfiguration.enabled says, as the tenant's are:
	// a disabled configuration is stored and served back, and enabling it
	// later with a PATCH of just "enabled" must not activate a stored
	// timeToLiveInSeconds of -5 or an unknown usage policy.
	j := a.JWTConfiguration
	validateLifetimes(e, "application.jwtConfiguration", j.TimeToLiveInSeconds, j.RefreshTokenTimeToLiveInMinutes,
		j.RefreshTokenExpirationPolicy, j.RefreshTokenUsagePolicy, j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes,
		j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds, j.SigningAlgorithm)
	o := a.OAuthConfiguration
	if !slices.Contains(clientPolicy, o.ClientAuthenticationPolicy) {
		e.Field("invalid", "application.oauthConfiguration.clientAuthenticationPolicy", "Use Required, NotRequired or NotRequiredWhenUsingPKCE.")
	}
	for _, g := range o.EnabledGrants {
		if !slices.Contains(grantTypes, g) {
			e.Field("invalid", "application.oauthConfiguration.enabledGrants", "Unknown grant ["+truncate(g, 64)+"].")
		}
	}
	validateOAuthURLs(e, o)
	// These origins open CORS with credentials for this application, so
	// only exact origins are accepted (security-bar.md §4.6).
	for _, u := range o.AuthorizedOriginURLs {
		if !validOrigin(u) {
			e.Field("invalid", "application.oauthConfiguration.authorizedOriginURLs", "The origin ["+truncate(u, 128)+"] is not a scheme://host[:port] origin.")
		}
	}
	seen := map[string]bool{}
	for _, role := range a.Roles {
		switch {
		case role.Name == "":
			e.Field("blank", "application.roles.name", "Every role needs a [name].")
		case seen[role.Name]:
			e.Field("duplicate", "application.roles.name", "The role ["+truncate(role.Name, 64)+"] is listed twice.")
		}
		seen[role.Name] = true
	}
	if a.VerificationStrategy != "" && a.VerificationStrategy != "ClickableLink" && a.VerificationStrategy != "FormField" {
		e.Field("invalid", "application.verificationStrategy", "Use ClickableLink or FormField.")
	}
	validateApplicationMultiFactor(e, a.MultiFactorConfiguration)
	return e
}
