package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Passkeys (FusionAuth webauthn.mdx; accounts spec §11) through
// github.com/go-webauthn/webauthn, which checks the ceremonies (client
// data type, challenge, origin, RP id hash, user presence and
// verification, attestation statements, signatures). What is ours: which
// relying party and origins a tenant and its applications allow, storing
// challenges (hashed, single use, 180 s) and passkeys, the sign counter
// rule, and FusionAuth's wire shapes.

// Workflows (FusionAuth): bootstrap is a passkey login, reauthentication
// a re-check of a logged-in user, general a registration for either.
const (
	WorkflowBootstrap        = "bootstrap"
	WorkflowReauthentication = "reauthentication"
	WorkflowGeneral          = "general"
	challengeTTLSeconds      = 180
)

// ErrChallengeNotFound: the ceremony's challenge is unknown, expired or
// used (FusionAuth answers 404).
var ErrChallengeNotFound = errors.New("mfa: webauthn challenge not found")

// relyingParty is who a ceremony is for: the RP id, its name and the
// origins allowed to run it.
type relyingParty struct {
	ID, Name string
	Origins  []string
	UV       protocol.UserVerificationRequirement
	Attach   protocol.AuthenticatorAttachment
}

// webAuthnConfig is the tenant's section with FusionAuth's defaults:
// disabled, both workflows off, user verification required.
func webAuthnConfig(t storage.Tenant) storage.TenantWebAuthnConfiguration {
	if t.WebAuthnConfiguration == nil {
		return storage.TenantWebAuthnConfiguration{}
	}
	return *t.WebAuthnConfiguration
}

// workflowOn says whether workflow may run for app (nil: no application)
// and returns its settings.
func workflowOn(t storage.Tenant, app *storage.Application, workflow string) (storage.WebAuthnWorkflow, bool) {
	c := webAuthnConfig(t)
	if !c.Enabled {
		return storage.WebAuthnWorkflow{}, false
	}
	w := c.Bootstrap
	on := c.Bootstrap.Enabled
	if workflow == WorkflowReauthentication {
		w, on = c.Reauthentication, c.Reauthentication.Enabled
	}
	if app != nil && app.WebAuthnConfiguration != nil && app.WebAuthnConfiguration.Enabled {
		a := app.WebAuthnConfiguration
		on = map[string]bool{WorkflowBootstrap: a.Bootstrap.Enabled, WorkflowReauthentication: a.Reauthentication.Enabled}[workflow]
	}
	if workflow == WorkflowGeneral {
		on = c.Bootstrap.Enabled || c.Reauthentication.Enabled
	}
	return w, on
}

// party resolves the relying party of a ceremony started from origin
// (the caller's Origin header or body; may be empty for a server-side
// start). The RP id is the tenant's relyingPartyId, else the origin's
// host (FusionAuth: the browser's effective domain). Allowed origins are
// the applications' authorizedOriginURLs and the tenant's allowedOrigins
// (latchkey's addition) whose host is the RP id or under it (WebAuthn §5.1.3
// step 9 would refuse the others anyway).
func (s *Service) party(ctx context.Context, t storage.Tenant, w storage.WebAuthnWorkflow, origin string) (relyingParty, error) {
	c := webAuthnConfig(t)
	allowed, err := s.allowedOrigins(ctx, c)
	if err != nil {
		return relyingParty{}, err
	}
	rp := relyingParty{ID: c.RelyingPartyID, Name: c.RelyingPartyName}
	if origin != "" && !slices.Contains(allowed, origin) {
		return rp, invalid("invalid", "origin", "The origin ["+truncate(origin, 100)+"] is not an allowed origin of this tenant's applications.")
	}
	if rp.ID == "" {
		u, err := url.Parse(origin)
		if origin == "" || err != nil || u.Hostname() == "" {
			return rp, invalid("blank", "origin", "Send the request from an allowed origin, or set tenant.webAuthnConfiguration.relyingPartyId.")
		}
		rp.ID = u.Hostname()
	}
	if rp.Name == "" {
		rp.Name = t.Name
	}
	for _, o := range allowed {
		if u, err := url.Parse(o); err == nil && (u.Hostname() == rp.ID || strings.HasSuffix(u.Hostname(), "."+rp.ID)) {
			rp.Origins = append(rp.Origins, o)
		}
	}
	if len(rp.Origins) == 0 {
		return rp, invalid("invalid", "rpId", "No allowed origin is within the relying party id ["+rp.ID+"].")
	}
	rp.UV = protocol.UserVerificationRequirement(w.UserVerificationRequirement)
	if rp.UV == "" {
		rp.UV = protocol.VerificationRequired
	}
	switch w.AuthenticatorAttachmentPreference {
	case "platform":
		rp.Attach = protocol.Platform
	case "crossPlatform":
		rp.Attach = protocol.CrossPlatform
	}
	return rp, nil
}

// allowedOrigins lists the origins passkey ceremonies may come from.
func (s *Service) allowedOrigins(ctx context.Context, c storage.TenantWebAuthnConfiguration) ([]string, error) {
	apps, err := s.Store.ListApplications(ctx, false)
	if err != nil {
		return nil, err
	}
	out := append([]string(nil), c.AllowedOrigins...)
	for _, a := range apps {
		out = append(out, a.OAuthConfiguration.AuthorizedOriginURLs...)
	}
	return out, nil
}

// webAuthn builds the library's relying party for rp.
func (rp relyingParty) webAuthn() (*webauthn.WebAuthn, error) {
	// 180 s, FusionAuth's challenge lifetime; enforced here too, since the
	// stored challenge expires then.
	t := webauthn.TimeoutConfig{Enforce: true, Timeout: challengeTTLSeconds * time.Second, TimeoutUVD: challengeTTLSeconds * time.Second}
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: rp.Name, RPOrigins: rp.Origins,
		Timeouts: webauthn.TimeoutsConfig{Login: t, Registration: t}})
}

// passkeyUser adapts a user and their passkeys to the library. The user
// handle is the UTF-8 of the user's UUID (FusionAuth: user.id =
// base64url(UUID string)).
type passkeyUser struct {
	user  storage.User
	creds []storage.WebAuthnCredential
	// display is the registration's displayName (FusionAuth sends it as
	// user.displayName).
	display string
}

func (u passkeyUser) WebAuthnID() []byte { return []byte(u.user.ID) }
func (u passkeyUser) WebAuthnName() string {
	if u.user.Email != "" {
		return u.user.Email
	}
	return u.user.Username
}
func (u passkeyUser) WebAuthnDisplayName() string {
	if u.display != "" {
		return u.display
	}
	return u.WebAuthnName()
}
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.creds))
	for _, c := range u.creds {
		ts := make([]protocol.AuthenticatorTransport, 0, len(c.Transports))
		for _, t := range c.Transports {
			ts = append(ts, protocol.AuthenticatorTransport(t))
		}
		out = append(out, webauthn.Credential{ID: c.CredentialID, PublicKey: c.PublicKey, AttestationType: c.AttestationType,
			Transport: ts, Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: c.UserVerified,
				BackupEligible: c.BackupEligible, BackupState: c.BackupState},
			Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount}})
	}
	return out
}

// ceremonyData is what a stored challenge remembers besides the library's
// session.
type ceremonyData struct {
	Session       webauthn.SessionData `json:"session"`
	Workflow      string               `json:"workflow"`
	ApplicationID string               `json:"applicationId,omitempty"`
	DisplayName   string               `json:"displayName,omitempty"`
	Name          string               `json:"name,omitempty"`
	UserAgent     string               `json:"userAgent,omitempty"`
	State         map[string]any       `json:"state,omitempty"`
	Party         relyingParty         `json:"party"`
}

func (d ceremonyData) encode() []byte { b, _ := json.Marshal(d); return b }

// challengeKey is the stored key of a ceremony's challenge (the challenge
// is base64url of 32 random bytes made by the library).
func challengeKey(challenge string) []byte { return hashString("webauthn:" + challenge) }

// user reads a user the scope sees, by id or login id.
func (s *Service) findUser(ctx context.Context, sc manage.Scope, userID, loginID string) (storage.User, error) {
	if userID != "" {
		return s.user(ctx, sc, userID)
	}
	tenant := s.tenantOf(sc)
	u, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenant, Email: loginID})
	if errors.Is(err, storage.ErrNotFound) {
		u, err = s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenant, Username: loginID})
	}
	if errors.Is(err, storage.ErrNotFound) {
		return u, manage.ErrNotFound
	}
	return u, err
}

// tenantOf is the tenant a login id is looked up in: the scope's, else
// the default.
func (s *Service) tenantOf(sc manage.Scope) string {
	if sc.TenantID != "" {
		return sc.TenantID
	}
	return s.TenantID
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
