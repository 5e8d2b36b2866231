package server

import (
	"errors"
	"net/http"
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
}

func newAppForm(a storage.Application) appForm {
	j := a.JWTConfiguration
	return appForm{App: a, Enabled: j.Enabled, GenerateRefresh: a.LoginConfiguration.GenerateRefreshTokens,
		AllowRefresh: a.LoginConfiguration.AllowTokenRefresh,
		TTL:          strconv.Itoa(j.TimeToLiveInSeconds), RefreshTTL: strconv.Itoa(j.RefreshTokenTimeToLiveInMinutes),
		MaxTTL:           strconv.Itoa(j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes),
		Grace:            strconv.Itoa(j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds),
		ExpirationPolicy: j.RefreshTokenExpirationPolicy, UsagePolicy: j.RefreshTokenUsagePolicy,
		Origins: strings.Join(a.OAuthConfiguration.AuthorizedOriginURLs, "\n"), Scoped: a.CookieConfiguration.Scoped}
}

// origins splits the form's origins, one a line.
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
var appNotices = map[string]string{"saved": "Saved. The next login and refresh of this application use these settings."}

// consoleApplication serves GET /admin/applications/{id}: its token
// policy, editable.
func (s *Server) consoleApplication(w http.ResponseWriter, r *http.Request) {
	a, err := s.Manage.Applications.Get(r.Context(), manage.Scope{}, r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		s.renderApp(w, r, http.StatusOK, newAppForm(a), consolePage{Notice: appNotices[r.URL.Query().Get("done")]})
	}
}

func (s *Server) renderApp(w http.ResponseWriter, r *http.Request, status int, f appForm, p consolePage) {
	f.ExpirationPolicies = []string{"Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"}
	f.UsagePolicies = []string{"Reusable", "OneTimeUse"}
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
}

// consoleApplicationSave handles POST /admin/applications/{id}: the JWT
// and refresh-token policy and lifetimes, through the application API's
// update (its validation, its audit entry, the caches of every node).
func (s *Server) consoleApplicationSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cur, err := s.Manage.Applications.Get(ctx, manage.Scope{}, r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application")
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	f := appForm{App: cur, Enabled: r.PostFormValue("enabled") == "on", GenerateRefresh: r.PostFormValue("generateRefresh") == "on",
		AllowRefresh: r.PostFormValue("allowRefresh") == "on", TTL: r.PostFormValue("ttl"), RefreshTTL: r.PostFormValue("refreshTTL"),
		MaxTTL: r.PostFormValue("maxTTL"), Grace: r.PostFormValue("grace"),
		ExpirationPolicy: r.PostFormValue("expirationPolicy"), UsagePolicy: r.PostFormValue("usagePolicy"),
		Origins: r.PostFormValue("origins"), Scoped: r.PostFormValue("scoped") == "on"}
	fields := map[string]string{}
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
		j := &a.JWTConfiguration
		j.Enabled, j.TimeToLiveInSeconds, j.RefreshTokenTimeToLiveInMinutes = f.Enabled, ttl, refreshTTL
		j.RefreshTokenExpirationPolicy, j.RefreshTokenUsagePolicy = f.ExpirationPolicy, f.UsagePolicy
		j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes = maxTTL
		j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = grace
		a.LoginConfiguration.GenerateRefreshTokens, a.LoginConfiguration.AllowTokenRefresh = f.GenerateRefresh, f.AllowRefresh
		a.OAuthConfiguration.AuthorizedOriginURLs, a.CookieConfiguration.Scoped = origins(f.Origins), f.Scoped
		return a, nil
	})
	var inv *manage.Invalid
	switch {
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
