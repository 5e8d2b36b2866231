package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

type applicationRequest struct {
	Application storage.Application `json:"application"`
}

// newApplicationDefaults is what a request's omitted fields become
// (fusionauth-api.md §6.1-§6.3): login flags allowTokenRefresh=false,
// generateRefreshTokens=false, requireAuthentication=true; jwtConfiguration
// disabled with FusionAuth's lifetimes; no grants, origins or roles.
func newApplicationDefaults() storage.Application {
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

// createApplication handles POST /api/application[/{id}] (applications.mdx).
func (s *Server) createApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := s.newID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	req := applicationRequest{Application: newApplicationDefaults()}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	a := req.Application
	now := s.Now().UnixMilli()
	a.ID, a.TenantID, a.Active, a.State, a.InsertInstant, a.LastUpdateInstant = id, DefaultTenantID, true, "Active", now, now
	for i := range a.Roles {
		a.Roles[i].ID = uuid.NewString()
	}
	s.finishApplication(&a, "")
	e := validateApplication(a)
	if _, err := s.Store.GetApplication(r.Context(), id); err == nil {
		e.Field("duplicate", "application.id", "An application with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		s.writeInternal(w, r, err)
		return
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	if err := s.Store.CreateApplication(r.Context(), a); errors.Is(err, storage.ErrConflict) {
		writeFieldError(w, "duplicate", "application.id", "An application with Id ["+id+"] already exists.")
		return
	} else if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationRequest{a})
}

// finishApplication fills what the server owns: clientId is the application
// id (read-only), and a blank client secret is generated on create and kept
// on update (fusionauth-api.md §6.3).
func (s *Server) finishApplication(a *storage.Application, oldSecret string) {
	a.OAuthConfiguration.ClientID = a.ID
	if a.OAuthConfiguration.ClientSecret == "" {
		a.OAuthConfiguration.ClientSecret = oldSecret
	}
	if a.OAuthConfiguration.ClientSecret == "" {
		a.OAuthConfiguration.ClientSecret = rand.Text() + rand.Text()
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

var (
	grantTypes   = []string{"authorization_code", "implicit", "password", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"}
	clientPolicy = []string{"Required", "NotRequired", "NotRequiredWhenUsingPKCE"}
)

func validateApplication(a storage.Application) *Errors {
	e := &Errors{}
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
	return e
}

// listApplications handles GET /api/application (active ones) and
// GET /api/application?inactive=true.
func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	inactive := isFlag(r, "inactive")
	writeRecords(s, w, r, "applications", func(ctx context.Context) ([]storage.Application, error) {
		return s.Store.ListApplications(ctx, inactive)
	}, applicationTenant)
}

// loadApplication reads the {id} application; 404 (empty body) when unknown
// or outside the calling key's tenant.
func (s *Server) loadApplication(w http.ResponseWriter, r *http.Request) (storage.Application, bool) {
	return loadRecord(s, w, r, "applicationId", s.Store.GetApplication, applicationTenant)
}

func applicationTenant(a storage.Application) string { return a.TenantID }

// getApplication handles GET /api/application/{id} (inactive ones too).
func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadApplication(w, r); ok {
		writeJSON(w, http.StatusOK, applicationRequest{a})
	}
}

// getOAuthConfiguration handles GET /api/application/{id}/oauth-configuration
// (applications.mdx, TS retrieveOauthConfiguration). Only API-key callers
// reach it, so the client secret is included, as FusionAuth does for them.
func (s *Server) getOAuthConfiguration(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadApplication(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"oauthConfiguration": a.OAuthConfiguration})
	}
}

// updateApplication handles PUT and PATCH /api/application/{id} and PUT
// ?reactivate=true. Roles are not changed here (FusionAuth has a role API).
func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request) {
	cur, ok := s.loadApplication(w, r)
	if !ok {
		return
	}
	a := cur
	if r.Method == http.MethodPut && isFlag(r, "reactivate") {
		a.Active, a.State = true, "Active"
	} else {
		req := applicationRequest{Application: newApplicationDefaults()}
		if r.Method == http.MethodPatch {
			if !s.decodePatch(w, r, applicationRequest{cur}, &req) {
				return
			}
		} else if !s.decodeJSON(w, r, &req, false) {
			return
		}
		a = req.Application
		a.ID, a.TenantID, a.Active, a.State, a.Roles, a.InsertInstant = cur.ID, cur.TenantID, cur.Active, cur.State, cur.Roles, cur.InsertInstant
		s.finishApplication(&a, cur.OAuthConfiguration.ClientSecret)
		if e := validateApplication(a); !e.Empty() {
			writeErrors(w, http.StatusBadRequest, e)
			return
		}
	}
	a.LastUpdateInstant = s.Now().UnixMilli()
	if err := s.Store.UpdateApplication(r.Context(), a); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	s.Auth.ForgetApplication(a.ID) // this node at once; others within the cache TTL
	writeJSON(w, http.StatusOK, applicationRequest{a})
}

// deleteApplication handles DELETE /api/application/{id}: soft by default
// (inactive, its refresh tokens revoked so nothing keeps working), or gone
// with its registrations and tokens when hardDelete=true.
func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadApplication(w, r)
	if !ok {
		return
	}
	var err error
	if isFlag(r, "hardDelete") {
		err = s.Store.DeleteApplicationAt(r.Context(), a.ID, s.Now())
	} else {
		a.Active, a.State, a.LastUpdateInstant = false, "Inactive", s.Now().UnixMilli()
		if err = s.Store.UpdateApplication(r.Context(), a); err == nil {
			_, err = s.Store.RevokeRefreshTokens(r.Context(), storage.RefreshTokenFilter{ApplicationID: a.ID}, s.Now(), "application_deactivated")
		}
	}
	s.Auth.ForgetApplication(a.ID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
