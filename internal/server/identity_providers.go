package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/federation"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

type identityProviderRequest struct {
	IdentityProvider storage.IdentityProvider `json:"identityProvider"`
}

// createIdentityProvider handles POST /api/identity-provider[/{id}]
// (identity-providers/openid-connect.mdx).
func (s *Server) createIdentityProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "identityProviderId")
	if !ok {
		return
	}
	req := identityProviderRequest{IdentityProvider: manage.IdentityProviderDefaults()}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	p, err := s.Manage.IdentityProviders.Create(r.Context(), id, req.IdentityProvider)
	s.answer(w, r, err, identityProviderRequest{p})
}

// listIdentityProviders handles GET /api/identity-provider[?type=].
func (s *Server) listIdentityProviders(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Manage.IdentityProviders.List(r.Context(), queryValue(r, "type"))
	s.answer(w, r, err, map[string]any{"identityProviders": ps})
}

// identityProviderDetails is FusionAuth's IdentityProviderDetails, what a
// lookup answers anonymously: enough to start the login, never the client
// secret or the claim mapping.
type identityProviderDetails struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Type           string                `json:"type"`
	ApplicationIDs []string              `json:"applicationIds"`
	OAuth2         identityProviderStart `json:"oauth2"`
}

type identityProviderStart struct {
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	ClientID              string `json:"client_id"`
	Issuer                string `json:"issuer,omitempty"`
	Scope                 string `json:"scope,omitempty"`
}

// lookupIdentityProvider handles GET /api/identity-provider/lookup?domain=
// (identity-providers/index.mdx "Lookup an Identity Provider", no API key):
// the enabled provider managing the domain (or an email address's domain),
// 404 when none does.
func (s *Server) lookupIdentityProvider(w http.ResponseWriter, r *http.Request) {
	p, err := s.Manage.IdentityProviders.Lookup(r.Context(), queryValue(r, "domain"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d := identityProviderDetails{ID: p.ID, Name: p.Name, Type: p.Type, ApplicationIDs: []string{},
		OAuth2: identityProviderStart{AuthorizationEndpoint: p.OAuth2.AuthorizationEndpoint, ClientID: p.OAuth2.ClientID,
			Issuer: p.OAuth2.Issuer, Scope: p.OAuth2.Scope}}
	for id, c := range p.ApplicationConfiguration {
		if c.Enabled {
			d.ApplicationIDs = append(d.ApplicationIDs, id)
		}
	}
	slices.Sort(d.ApplicationIDs)
	writeJSON(w, http.StatusOK, map[string]any{"identityProvider": d})
}

// getIdentityProvider handles GET /api/identity-provider/{id}.
func (s *Server) getIdentityProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "identityProviderId")
	if !ok {
		return
	}
	p, err := s.Manage.IdentityProviders.Get(r.Context(), id)
	s.answer(w, r, err, identityProviderRequest{p})
}

// updateIdentityProvider handles PUT and PATCH /api/identity-provider/{id}.
func (s *Server) updateIdentityProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "identityProviderId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	p, err := s.Manage.IdentityProviders.Update(r.Context(), id, func(cur storage.IdentityProvider) (storage.IdentityProvider, error) {
		rewind()
		req := identityProviderRequest{IdentityProvider: manage.IdentityProviderDefaults()}
		err := decodeReplacement(r, identityProviderRequest{cur}, &req)
		return req.IdentityProvider, err
	})
	s.answer(w, r, err, identityProviderRequest{p})
}

// deleteIdentityProvider handles DELETE /api/identity-provider/{id}.
func (s *Server) deleteIdentityProvider(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "identityProviderId")
	if !ok {
		return
	}
	s.answer(w, r, s.Manage.IdentityProviders.Delete(r.Context(), id), nil)
}

// identityProviderLoginRequest is FusionAuth's IdentityProviderLoginRequest.
type identityProviderLoginRequest struct {
	ApplicationID      string `json:"applicationId"`
	IdentityProviderID string `json:"identityProviderId"`
	Data               struct {
		Code         string `json:"code"`
		RedirectURI  string `json:"redirect_uri"`
		CodeVerifier string `json:"code_verifier"`
	} `json:"data"`
	IPAddress string `json:"ipAddress"`
	NoJWT     bool   `json:"noJWT"`
}

// identityProviderLogin handles POST /api/identity-provider/login
// (identity-providers/openid-connect.mdx, TS identityProviderLogin): the
// SPA brings the code the upstream provider gave it; latchkey redeems it,
// verifies the id token, links or creates the user (linkingStrategy) and
// answers like /api/login, cookies included, and 242 for a user with a
// second factor.
func (s *Server) identityProviderLogin(w http.ResponseWriter, r *http.Request) {
	var req identityProviderLoginRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	var e Errors
	for _, f := range [...]struct{ name, v string }{{"applicationId", req.ApplicationID}, {"identityProviderId", req.IdentityProviderID}} {
		if !validUUID(f.v) {
			e.Field("invalid", f.name, "The ["+f.name+"] property must be an id.")
		}
	}
	if req.Data.Code == "" || req.Data.RedirectURI == "" {
		e.Field("blank", "data.code", "You must specify [data.code] and [data.redirect_uri].")
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	p, err := s.Manage.IdentityProviders.Get(r.Context(), req.IdentityProviderID)
	if errors.Is(err, manage.ErrNotFound) || (err == nil && !p.Enabled) {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	ip := s.userIP(r, req.IPAddress)
	up, err := s.federation().ExchangeTokens(r.Context(), p, req.Data.Code, req.Data.RedirectURI, req.Data.CodeVerifier, "")
	if err != nil {
		s.federationFailure(w, r, err)
		return
	}
	user, app, err := s.Auth.FederatedUser(r.Context(), auth.FederatedRequest{Provider: p, ApplicationID: req.ApplicationID,
		Claims: up.Claims, IDToken: up.IDToken, RawIDToken: up.RawIDToken, IPAddress: ip})
	if err != nil {
		s.federationFailure(w, r, err)
		return
	}
	// A user with a second factor is answered 242 as by /api/login
	// (writeWithheld); the fusionauth.trust cookie of a trusted device
	// spares it (FusionAuth's IdentityProviderLoginRequest has no
	// twoFactorTrustId).
	t, err := s.Auth.IssueFederated(r.Context(), auth.FederatedLogin{User: user, Application: app, Provider: p,
		IPAddress: ip, UserAgent: r.UserAgent(), NoJWT: req.NoJWT, TwoFactorTrustID: s.trustID(r, "")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if !t.Registered || req.NoJWT {
		t.AccessToken, t.RefreshToken, t.RefreshTokenID = "", "", ""
		if !t.Registered {
			status = http.StatusAccepted
		}
	}
	resp := loginResponse{Token: t.AccessToken, RefreshToken: t.RefreshToken, RefreshTokenID: t.RefreshTokenID, User: t.User}
	if t.AccessToken != "" {
		resp.TokenExpirationInstant = t.AccessTokenExpiresAt.UnixMilli()
	}
	s.setTokenCookies(w, r, t)
	writeJSON(w, status, resp)
}

// federationFailure answers a refused federated login: the provider or
// link unknown is 404 (FusionAuth), an upstream failure or a refused link
// 400 with a general error naming it; an account waiting for a link
// (CreatePendingLink) is 232 with its pendingIdPLinkId.
func (s *Server) federationFailure(w http.ResponseWriter, r *http.Request, err error) {
	var e Errors
	var pending *auth.PendingLink
	switch {
	case errors.As(err, &pending): // CreatePendingLink: 232, only the id (FusionAuth)
		writeJSON(w, statusPendingLink, map[string]string{"pendingIdPLinkId": pending.ID})
		return
	case errors.Is(err, auth.ErrProviderDisabled), errors.Is(err, auth.ErrNoLink):
		writeEmpty(w, http.StatusNotFound)
		return
	case errors.Is(err, federation.ErrUpstream):
		s.Logger.InfoContext(r.Context(), "federated login refused upstream", "request_id", requestID(r.Context()), "error", err.Error())
		e.General("ExternalAuthenticationException", "The identity provider did not authenticate the user.")
	case errors.Is(err, auth.ErrLinkLimit):
		e.General("IdentityProviderLinkLimitExceeded", "The user has the most links to this identity provider its tenant allows (the provider's tenantConfiguration).")
	case errors.Is(err, auth.ErrReconcileFailed):
		e.General("LambdaInvocationException", "The identity provider's reconcile lambda failed or left a user that cannot be saved; nothing was changed. The log names the lambda.")
	case errors.Is(err, auth.ErrLinkRefused):
		e.General("IdentityProviderLinkRefused", "The identity provider's account cannot be linked: its email is not verified there, its username cannot be one here, or it names no user id.")
	default:
		s.writeError(w, r, err)
		return
	}
	writeErrors(w, http.StatusBadRequest, &e)
}

// statusPendingLink is FusionAuth's 232: the identity provider's account
// waits for a link (identity-providers, Complete the Login).
const statusPendingLink = 232

func (s *Server) federation() *federation.Client {
	if s.Federation != nil {
		return s.Federation
	}
	return &federation.Client{}
}
