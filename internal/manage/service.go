package manage

import (
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Auth is what the use cases need from internal/auth: tokens for created
// users, and the node-local caches a change must clear. *auth.Service
// satisfies it.
type Auth interface {
	TokenIssuer
	TokenFinder
	TenantCache
	ApplicationCache
	PasswordChecker
	LambdaCache
}

// Service is every management use case over one store, for the HTTP layer
// to hold as one field. Each use case keeps only its narrow view of st.
type Service struct {
	Users         *Users
	Registrations *Registrations
	Applications  *Applications
	APIKeys       *APIKeys
	Tenants       *Tenants
	SystemConfig  *SystemConfig
	RefreshTokens *RefreshTokens
	Revocations   *Revocations
	// The account flows (issue 9).
	EmailTemplates *EmailTemplates
	Accounts       *Accounts
	// EmailSend mails a stored template (POST /api/email/send/{id}).
	EmailSend *EmailSend
	// Mail renders the mail the use cases cause; the app sets its BaseURL,
	// Log and Notify before serving.
	Mail *Mailer
	// Issue 14: webhooks, lambdas, user import. The app sets
	// Webhooks.Publisher, Lambdas.Engine and Cache, and calls UseEvents.
	Webhooks *Webhooks
	Lambdas  *Lambdas
	Import   *Import
	Entities *Entities
	// IdentityProviders is the federation configuration.
	IdentityProviders *IdentityProviders
	// IdentityProviderLinks are the users' links to their upstream
	// accounts (FusionAuth's Link API).
	IdentityProviderLinks *IdentityProviderLinks
	// IdentityProviderTests are the providers' connection tests.
	IdentityProviderTests *IdentityProviderTests
	// The directory (issue 12).
	Search       *UserSearch
	Roles        *Roles
	Groups       *Groups
	Members      *Members
	UserActions  *UserActions
	Actions      *Actions
	LoginRecords *LoginRecords
	Comments     *UserComments
	Families     *Families
	Consents     *Consents
	EventLogs    *EventLogs
	AuditLogs    *AuditLogs
	BulkDelete   *UserBulkDelete // DELETE /api/user/bulk, over Search and Users
	// Keys lists signing keys and rotates them (with jwt.public-key.update);
	// its Rotator is set by the wiring.
	Keys *Keys
	// Console is the admin console's setup, admins and lock (console.go).
	Console *Console
}

// New wires the use cases to st, a and the clock now.
func New(st storage.Storage, a Auth, now func() time.Time) *Service {
	m := &Mailer{Store: st}
	users := &Users{Store: st, Tokens: a, Mail: m, Now: now, Revokes: a}
	svc := &Service{
		Mail:                  m,
		EmailTemplates:        &EmailTemplates{Store: st, Now: now},
		EmailSend:             &EmailSend{Store: st, Mail: m, Now: now},
		Accounts:              &Accounts{Store: st, Users: users, Auth: a, Mail: m, Now: now, Revokes: a},
		Users:                 users,
		Registrations:         &Registrations{Store: st, Users: users, Now: now, Revokes: a},
		Applications:          &Applications{Store: st, Cache: a, Now: now, Revokes: a},
		APIKeys:               &APIKeys{Store: st, Now: now},
		Tenants:               &Tenants{Store: st, Cache: a, Now: now},
		SystemConfig:          &SystemConfig{Store: st, Now: now},
		RefreshTokens:         &RefreshTokens{Store: st, Tokens: a, Now: now},
		Revocations:           &Revocations{Store: st, Now: now},
		Webhooks:              &Webhooks{Store: st, Publisher: (*events.Publisher)(nil), Now: now},
		Lambdas:               &Lambdas{Store: st, Cache: a, Now: now},
		Import:                &Import{Store: st, Now: now},
		Search:                &UserSearch{Store: st},
		Roles:                 &Roles{Store: st, Cache: a, Now: now},
		Groups:                &Groups{Store: st, Cache: a, Now: now},
		Members:               &Members{Store: st, Now: now},
		UserActions:           &UserActions{Store: st, Now: now},
		Actions:               &Actions{Store: st, Now: now, Revokes: a},
		LoginRecords:          &LoginRecords{Store: st},
		Comments:              &UserComments{Store: st, Now: now},
		Families:              &Families{Store: st, Mail: m, Now: now, Users: users},
		Consents:              &Consents{Store: st, Mail: m, Now: now},
		EventLogs:             &EventLogs{Store: st, Now: now},
		AuditLogs:             &AuditLogs{Store: st, Now: now},
		Keys:                  &Keys{Store: st, Now: now},
		Entities:              &Entities{Store: st, Now: now},
		IdentityProviders:     &IdentityProviders{Store: st, Now: now},
		IdentityProviderLinks: &IdentityProviderLinks{Store: st, Now: now},
		IdentityProviderTests: &IdentityProviderTests{Store: st, Now: now},
	}
	svc.BulkDelete = &UserBulkDelete{Search: svc.Search, Users: users}
	svc.Console = &Console{Applications: svc.Applications, Users: users, Registrations: svc.Registrations,
		UserActions: svc.UserActions, Actions: svc.Actions, Now: now}
	return svc
}
