package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consoleApplications serves GET /admin/applications.
func (s *Server) consoleApplications(w http.ResponseWriter, r *http.Request) {
	apps, err := s.Manage.Applications.List(r.Context(), manage.Scope{}, false)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderConsolePage(w, r, http.StatusOK, "applications", consolePage{Title: "Applications", Nav: "applications", Data: apps})
}

// appForm is the token-policy form of an application: the fields as typed,
// so a refused form is shown again as the admin left it.
type appForm struct {
	App                                    storage.Application
	Enabled, GenerateRefresh, AllowRefresh bool
	TTL, RefreshTTL, MaxTTL, Grace         string
	ExpirationPolicy, UsagePolicy          string
	ExpirationPolicies, UsagePolicies      []string
	// Origins are oauthConfiguration.authorizedOriginURLs, one a line;
	// Scoped is cookieConfiguration.scoped.
	Origins string
	Scoped  bool
	// OAuth settings: redirect URLs one a line, the URL policy, the
	// enabled grants, client authentication and PKCE, the logout URL.
	Redirects, URLPolicy, ClientAuth, PKCE, LogoutURL string
	Grants                                            []string
	RequireRegistration                               bool
	// BackchannelLogoutURL receives OpenID back-channel logout tokens.
	BackchannelLogoutURL string
	// MFALogin and MFATrust are multiFactorConfiguration.loginPolicy ("":
	// the tenant's) and trustPolicy.
	MFALogin, MFATrust string
	// AccessKey and IDKey are jwtConfiguration.accessTokenKeyId and
	// idTokenKeyId ("": the application's algorithm's active key), chosen
	// from Keys, the published signing keys.
	AccessKey, IDKey string
	Keys             []manage.KeyView
	// NewSecret is the client secret just regenerated, shown once.
	NewSecret string
	// NewRole is the add-role form as typed (after a refusal).
	NewRole storage.ApplicationRole
}

// The OAuth choices the form offers (manage validates them again).
var (
	consoleGrants      = []string{"authorization_code", "refresh_token", "password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"}
	consoleClientAuths = []string{"Required", "NotRequired", "NotRequiredWhenUsingPKCE"}
	consolePKCEs       = []string{"NotRequired", "Required", "NotRequiredWhenUsingClientAuthentication"}
	consoleURLPolicies = []string{"ExactMatch", "AllowWildcards"}
	consoleMFALogins   = []string{"", "Enabled", "Disabled"}
	consoleMFATrusts   = []string{"Any", "This", "None"}
)

// GrantOn reports whether the form has grant ticked.
func (f appForm) GrantOn(grant string) bool { return slices.Contains(f.Grants, grant) }

// Choices are the OAuth selects' options.
func (appForm) Choices() map[string][]string {
	return map[string][]string{"grants": consoleGrants, "clientAuth": consoleClientAuths, "pkce": consolePKCEs,
		"urlPolicy": consoleURLPolicies, "mfaLogin": consoleMFALogins, "mfaTrust": consoleMFATrusts}
}

func newAppForm(a storage.Application) appForm {
	j := a.JWTConfiguration
	f := appForm{App: a, Enabled: j.Enabled, GenerateRefresh: a.LoginConfiguration.GenerateRefreshTokens,
		AllowRefresh: a.LoginConfiguration.AllowTokenRefresh,
		TTL:          strconv.Itoa(j.TimeToLiveInSeconds), RefreshTTL: strconv.Itoa(j.RefreshTokenTimeToLiveInMinutes),
		MaxTTL:           strconv.Itoa(j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes),
		Grace:            strconv.Itoa(j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds),
		ExpirationPolicy: j.RefreshTokenExpirationPolicy, UsagePolicy: j.RefreshTokenUsagePolicy,
		Origins: strings.Join(a.OAuthConfiguration.AuthorizedOriginURLs, "\n"), Scoped: a.CookieConfiguration.Scoped,
		Redirects: strings.Join(a.OAuthConfiguration.AuthorizedRedirectURLs, "\n"), LogoutURL: a.OAuthConfiguration.LogoutURL,
		URLPolicy: firstOf(a.OAuthConfiguration.AuthorizedURLValidationPolicy, "ExactMatch"), ClientAuth: a.OAuthConfiguration.ClientAuthenticationPolicy,
		PKCE: firstOf(a.OAuthConfiguration.ProofKeyForCodeExchangePolicy, "NotRequired"), Grants: slices.Clone(a.OAuthConfiguration.EnabledGrants),
		RequireRegistration: a.OAuthConfiguration.RequireRegistration, BackchannelLogoutURL: a.OAuthConfiguration.BackchannelLogoutURL,
		MFATrust: "Any", AccessKey: j.AccessTokenKeyID, IDKey: j.IDTokenKeyID}
	if m := a.MultiFactorConfiguration; m != nil {
		f.MFALogin, f.MFATrust = m.LoginPolicy, firstOf(m.TrustPolicy, "Any")
	}
	return f
}

// origins splits a form's list (origins, redirect URLs), one a line.
func origins(text string) []string {
	out := []string{}
	for _, line := range strings.Split(text, "\n") {
		if o := strings.TrimSpace(line); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// appNotices are the messages after a change (seeOther's done=).
var appNotices = map[string]string{"saved": "Saved. The next login and refresh of this application use these settings.",
	"role-added":   "The role is added.",
	"role-removed": "The role is removed, and taken from every registration and group that had it."}

// consoleApplication serves GET /admin/applications/{id}: its token
// policy, editable.
func (s *Server) consoleApplication(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.consoleApp(w, r); ok {
		s.renderApp(w, r, http.StatusOK, newAppForm(a), consolePage{Notice: appNotices[r.URL.Query().Get("done")]})
	}
}

// consoleApp reads the application of an application page's route
// ({id}), for every handler of the page (this file,
// console_app_security.go, console_roles.go). ok is false when it has
// answered: the console's 404 page when there is no such application, the
// error page on a failure.
func (s *Server) consoleApp(w http.ResponseWriter, r *http.Request) (a storage.Application, ok bool) {
	a, err := s.Manage.Applications.Get(r.Context(), manage.Scope{}, r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		return a, true
	}
	return storage.Application{}, false
}

func (s *Server) renderApp(w http.ResponseWriter, r *http.Request, status int, f appForm, p consolePage) {
	f.ExpirationPolicies = []string{"Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"}
	f.UsagePolicies = []string{"Reusable", "OneTimeUse"}
	keys, err := s.Manage.Keys.List(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	f.Keys = keys
	p.Title, p.Nav, p.Data = f.App.Name, "applications", f
	s.renderConsolePage(w, r, status, "application", p)
}

// appFields maps the management API's field names to the form's.
var appFields = map[string]string{
	"timeToLiveInSeconds":             "ttl",
	"refreshTokenTimeToLiveInMinutes": "refreshTTL",
	"refreshTokenExpirationPolicy":    "expirationPolicy",
	"refreshTokenUsagePolicy":         "usagePolicy",
	"maximumTimeToLiveInMinutes":      "maxTTL",
	"gracePeriodInSeconds":            "grace",
	"authorizedOriginURLs":            "origins",
	"authorizedRedirectURLs":          "redirects",
	"authorizedURLValidationPolicy":   "urlPolicy",
	"clientAuthenticationPolicy":      "clientAuth",
	"proofKeyForCodeExchangePolicy":   "pkce",
	"enabledGrants":                   "grants",
	"logoutURL":                       "logoutURL",
	"backchannelLogoutURL":            "backchannelLogoutURL",
	"loginPolicy":                     "mfaLogin",
	"trustPolicy":                     "mfaTrust",
}

// consoleApplicationSave handles POST /admin/applications/{id}: the JWT
// and refresh-token policy and lifetimes, CORS origins, cookie scoping and
// the OAuth settings, through the application API's
// update (its validation, its audit entry, the caches of every node): the
// form's fields onto the application as it is now, while it has the
// revision the form was opened from (console_revision.go).
func (s *Server) consoleApplicationSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cur, ok := s.consoleApp(w, r)
	if !ok {
		return
	}
	rev, ok := formRevision(r)
	if !ok {
		s.renderApp(w, r, http.StatusBadRequest, newAppForm(cur), consolePage{Problem: badRevision("application")})
		return
	}
	if cur.Revision != rev {
		s.renderApp(w, r, http.StatusConflict, newAppForm(cur), consolePage{Problem: changedSinceOpened("application")})
		return
	}
	f := appForm{App: cur, Enabled: r.PostFormValue("enabled") == "on", GenerateRefresh: r.PostFormValue("generateRefresh") == "on",
		AllowRefresh: r.PostFormValue("allowRefresh") == "on", TTL: r.PostFormValue("ttl"), RefreshTTL: r.PostFormValue("refreshTTL"),
		MaxTTL: r.PostFormValue("maxTTL"), Grace: r.PostFormValue("grace"),
		ExpirationPolicy: r.PostFormValue("expirationPolicy"), UsagePolicy: r.PostFormValue("usagePolicy"),
		Origins: r.PostFormValue("origins"), Scoped: r.PostFormValue("scoped") == "on",
		Redirects: r.PostFormValue("redirects"), URLPolicy: r.PostFormValue("urlPolicy"), ClientAuth: r.PostFormValue("clientAuth"),
		PKCE: r.PostFormValue("pkce"), LogoutURL: strings.TrimSpace(r.PostFormValue("logoutURL")), Grants: r.PostForm["grant"],
		RequireRegistration:  r.PostFormValue("requireRegistration") == "on",
		BackchannelLogoutURL: strings.TrimSpace(r.PostFormValue("backchannelLogoutURL")),
		MFALogin:             r.PostFormValue("mfaLogin"), MFATrust: r.PostFormValue("mfaTrust"),
		AccessKey: r.PostFormValue("accessKey"), IDKey: r.PostFormValue("idKey")}
	fields, keyAlg, err := s.checkKeyChoices(r, f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	num := func(name, v string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			fields[name] = "Enter a whole number."
		}
		return n
	}
	ttl, refreshTTL, maxTTL, grace := num("ttl", f.TTL), num("refreshTTL", f.RefreshTTL), num("maxTTL", f.MaxTTL), num("grace", f.Grace)
	if cur.ID == manage.AdminApplicationID && !f.GenerateRefresh {
		// The console's session is its refresh token: without them nobody
		// could sign in to the console again.
		fields["generateRefresh"] = "The console's own application must issue refresh tokens: they are its sessions."
	}
	if len(fields) > 0 {
		s.renderApp(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: "Some settings need fixing."})
		return
	}
	_, err = s.Manage.Applications.Update(ctx, manage.Scope{}, cur.ID, func(a storage.Application) (storage.Application, error) {
		if err := sameRevision(a.Revision, rev); err != nil {
			return a, err
		}
		j := &a.JWTConfiguration
		j.Enabled, j.TimeToLiveInSeconds, j.RefreshTokenTimeToLiveInMinutes = f.Enabled, ttl, refreshTTL
		j.RefreshTokenExpirationPolicy, j.RefreshTokenUsagePolicy = f.ExpirationPolicy, f.UsagePolicy
		j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes = maxTTL
		j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = grace
		a.LoginConfiguration.GenerateRefreshTokens, a.LoginConfiguration.AllowTokenRefresh = f.GenerateRefresh, f.AllowRefresh
		a.OAuthConfiguration.AuthorizedOriginURLs, a.CookieConfiguration.Scoped = origins(f.Origins), f.Scoped
		o := &a.OAuthConfiguration
		o.AuthorizedRedirectURLs = origins(f.Redirects)
		// An unset policy shows as its default; choosing the default keeps
		// it unset (no change in the audit log).
		o.AuthorizedURLValidationPolicy = orUnset(o.AuthorizedURLValidationPolicy, f.URLPolicy, "ExactMatch")
		o.ProofKeyForCodeExchangePolicy = orUnset(o.ProofKeyForCodeExchangePolicy, f.PKCE, "NotRequired")
		o.ClientAuthenticationPolicy = f.ClientAuth
		o.EnabledGrants, o.LogoutURL, o.RequireRegistration = append([]string{}, f.Grants...), f.LogoutURL, f.RequireRegistration
		o.BackchannelLogoutURL = f.BackchannelLogoutURL
		j.AccessTokenKeyID, j.IDTokenKeyID = f.AccessKey, f.IDKey
		if keyAlg != "" {
			j.SigningAlgorithm = keyAlg
		}
		a.MultiFactorConfiguration = f.multiFactor(a.MultiFactorConfiguration)
		return a, nil
	})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		if cur, ok = s.consoleApp(w, r); ok {
			s.renderApp(w, r, http.StatusConflict, newAppForm(cur), consolePage{Problem: changedSinceOpened("application")})
		}
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			name := p.Field[strings.LastIndex(p.Field, ".")+1:]
			if ff, ok := appFields[name]; ok {
				fields[ff] = p.Message
			}
		}
		s.renderApp(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: problemText(inv)})
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		s.ForgetOrigins() // its authorizedOriginURLs apply on this node's next request
		seeOther(w, r, consolePath+"/applications/"+cur.ID, "saved")
	}
}

// orUnset is the form's choice of a policy whose stored value cur may be
// unset: the default chosen over an unset value keeps it unset.
func orUnset(cur, chosen, def string) string {
	if cur == "" && chosen == def {
		return ""
	}
	return chosen
}
