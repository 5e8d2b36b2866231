package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RegisterStart is POST /api/webauthn/register/start.
type RegisterStart struct {
	UserID, DisplayName, Name, UserAgent, Workflow string
	// Origin is the caller's Origin (a SPA's page), used for the RP id when
	// the tenant names none and checked against the allowed origins.
	Origin string
}

// StartRegistration makes the creation options for the browser and keeps
// the challenge. Beyond FusionAuth (docs/compatibility.md): residentKey
// "preferred" and credProps are asked for, so a passkey can be discoverable
// and serve a login without a user name.
func (s *Service) StartRegistration(ctx context.Context, sc manage.Scope, req RegisterStart) (*protocol.CredentialCreation, error) {
	inv := &manage.Invalid{}
	if strings.TrimSpace(req.DisplayName) == "" {
		inv.Field("blank", "displayName", "You must specify the [displayName] property.")
	}
	if req.Workflow == "" {
		inv.Field("blank", "workflow", "You must specify the [workflow] property: bootstrap, general or reauthentication.")
	} else if req.Workflow != WorkflowBootstrap && req.Workflow != WorkflowGeneral && req.Workflow != WorkflowReauthentication {
		inv.Field("invalid", "workflow", "The [workflow] property must be bootstrap, general or reauthentication.")
	}
	if req.UserID == "" {
		inv.Field("missing", "userId", "You must specify the [userId] property.")
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	user, err := s.user(ctx, sc, req.UserID)
	if err != nil {
		return nil, err
	}
	tenant, err := s.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return nil, err
	}
	w, on := workflowOn(tenant, nil, req.Workflow)
	if !on {
		return nil, invalid("disabled", "workflow", "WebAuthn or the ["+req.Workflow+"] workflow is disabled for this tenant.")
	}
	rp, err := s.party(ctx, tenant, w, req.Origin)
	if err != nil {
		return nil, err
	}
	creds, err := s.Store.ListWebAuthnCredentials(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	wa, err := rp.webAuthn()
	if err != nil {
		return nil, invalid("invalid", "rpId", "The relying party is not usable: "+err.Error())
	}
	pu := passkeyUser{user: user, creds: creds, display: req.DisplayName}
	exclude := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range pu.WebAuthnCredentials() {
		exclude = append(exclude, c.Descriptor())
	}
	opts, session, err := wa.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{AuthenticatorAttachment: rp.Attach,
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: rp.UV}),
		webauthn.WithExclusions(exclude),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	if err != nil {
		return nil, fmt.Errorf("mfa: begin registration: %w", err)
	}
	name := req.Name
	if name == "" {
		name = pu.WebAuthnName()
	}
	d := ceremonyData{Session: *session, Workflow: req.Workflow, DisplayName: req.DisplayName, Name: name,
		UserAgent: req.UserAgent, Party: rp}
	now := s.now()
	if err := s.Store.CreateChallenge(ctx, storage.Challenge{Hash: challengeKey(session.Challenge),
		Kind: storage.ChallengeWebAuthnRegistration, UserID: user.ID, TenantID: user.TenantID, CreatedAt: now,
		ExpiresAt: now.Add(challengeTTLSeconds * time.Second), Data: d.encode()}); err != nil {
		return nil, err
	}
	return opts, nil
}

// CompleteRegistration checks the browser's attestation and stores the
// passkey. Only the "none" and "packed" attestation formats are accepted
// (FusionAuth accepts none only; packed is latchkey's addition).
func (s *Service) CompleteRegistration(ctx context.Context, userID string, credential json.RawMessage) (storage.WebAuthnCredential, error) {
	parsed, err := parseCreation(credential)
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	now := s.now()
	c, err := s.Store.ConsumeChallenge(ctx, storage.ChallengeWebAuthnRegistration, challengeKey(parsed.Response.CollectedClientData.Challenge), now)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebAuthnCredential{}, ErrChallengeNotFound
	}
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	if c.UserID != userID {
		return storage.WebAuthnCredential{}, ErrChallengeNotFound // another user's ceremony
	}
	var d ceremonyData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return storage.WebAuthnCredential{}, err
	}
	user, err := s.Store.GetUser(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebAuthnCredential{}, manage.ErrNotFound
	}
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	wa, err := d.Party.webAuthn()
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	cred, err := wa.CreateCredential(passkeyUser{user: user}, d.Session, parsed)
	if err != nil {
		return storage.WebAuthnCredential{}, ceremonyError(err, "credential.response.attestationObject")
	}
	if f := cred.AttestationFormat; f != "none" && f != "packed" {
		return storage.WebAuthnCredential{}, invalid("invalid", "credential.response.attestationObject",
			"The attestation format ["+truncate(f, 40)+"] is not accepted: none or packed.")
	}
	return s.storeCredential(ctx, user, d, cred, now)
}

// storeCredential saves a verified passkey in FusionAuth's record shape.
func (s *Service) storeCredential(ctx context.Context, user storage.User, d ceremonyData, cred *webauthn.Credential,
	now time.Time) (storage.WebAuthnCredential, error) {
	rec := storage.WebAuthnCredential{ID: uuid.NewString(), TenantID: user.TenantID, UserID: user.ID,
		CredentialID: cred.ID, PublicKey: cred.PublicKey, Algorithm: coseAlgorithm(cred.PublicKey),
		AttestationType: cred.AttestationType, AAGUID: cred.Authenticator.AAGUID, SignCount: cred.Authenticator.SignCount,
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		RelyingPartyID: d.Party.ID, DisplayName: d.DisplayName, Name: d.Name, UserAgent: d.UserAgent,
		InsertInstant: now.UnixMilli(), LastUseInstant: now.UnixMilli(), Transports: []string{}}
	if cred.Extensions.RK != nil {
		rec.Discoverable = *cred.Extensions.RK
	}
	if rec.AttestationType == "" {
		rec.AttestationType = "none"
	}
	for _, t := range cred.Transport {
		rec.Transports = append(rec.Transports, string(t))
	}
	err := s.Store.CreateWebAuthnCredential(ctx, rec)
	if errors.Is(err, storage.ErrConflict) {
		return rec, invalid("duplicate", "credential.id", "This passkey is registered already.")
	}
	if err != nil {
		return rec, err
	}
	s.event(ctx, "webauthn_credential_add", user.ID, d.Workflow)
	return rec, nil
}
