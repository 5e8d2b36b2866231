package server

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ssoCookie is the single sign-on cookie (FusionAuth: fusionauth.sso),
// __Host- prefixed over HTTPS like the CSRF cookie.
const ssoCookie = "latchkey_sso"

func (s *Server) ssoCookieName(r *http.Request) string { return s.hostCookieName(r, ssoCookie) }

// authorizeParams are the parameters the login form carries through as
// hidden fields, in this order; pending_link is a pending link's form token
// (oauth_pending_link.go).
var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint", "locale", "tenantId", pendingLinkParam}

// authorizeRequest reads the parameters from the query (GET) or the form
// (POST, RFC 6749 §3.1). The TS client's "undefined"/"null" are absent.
func authorizeRequest(v url.Values) auth.AuthorizeRequest {
	g := func(n string) string { return formValue(v, n) }
	return auth.AuthorizeRequest{ClientID: g("client_id"), RedirectURI: g("redirect_uri"), ResponseType: g("response_type"),
		ResponseMode: g("response_mode"), Scope: g("scope"), State: g("state"), Nonce: g("nonce"),
		CodeChallenge: g("code_challenge"), CodeChallengeMethod: g("code_challenge_method"), Prompt: g("prompt"),
		MaxAge: g("max_age"), LoginHint: g("login_hint"), TenantID: g("tenantId")}
}

// repeatedParam is the first authorization parameter, or of more, that
// params holds more than once; "" when none is repeated.
func repeatedParam(params url.Values, more ...string) string {
	for _, names := range [][]string{authorizeParams, more} {
		for _, n := range names {
			if len(params[n]) > 1 {
				return n
			}
		}
	}
	return ""
}

// checkedAuthorization checks params as an authorization request: a
// parameter of authorizeParams or more sent twice is invalid_request on
// the error page (RFC 6749 §3.1: its redirect_uri cannot be trusted to
// carry the answer, §4.1.2.1), then auth.CheckAuthorize, whose refusal
// authorizeFailure answers. On a refusal it has answered and returns false.
func (s *Server) checkedAuthorization(w http.ResponseWriter, r *http.Request, params url.Values, more ...string) (auth.Authorization, bool) {
	if name := repeatedParam(params, more...); name != "" {
		s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "", "The parameter "+name+" was sent more than once.", "")
		return auth.Authorization{}, false
	}
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return a, false
	}
	return a, true
}

// authorize handles GET and POST /oauth2/authorize (FusionAuth endpoints.mdx,
// Authorize; RFC 6749 §4.1; OIDC Core §3.1.2): with a live single sign-on
// session of an application that opted in, a code at once, or first the
// second factor this application asks for and the session's login did not
// give (resumeSession); otherwise the identity provider a hint names
// (hintedProvider), or the hosted login page, whose form posts back here
// (hostedLogin).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		params = r.PostForm
		if params.Has("loginId") || params.Has("password") {
			s.hostedLogin(w, r, params)
			return
		}
		if params.Get(passkeyField) != "" {
			s.hostedPasskeyLogin(w, r, params)
			return
		}
	}
	a, ok := s.checkedAuthorization(w, r, params)
	if !ok {
		return
	}
	if a.App.OAuthConfiguration.SSOEnabled && !a.PromptLogin && a.MaxAge != 0 {
		ls, user, err := s.Auth.Session(r.Context(), singleCookie(r, s.ssoCookieName(r)))
		switch {
		case err == nil && ls.TenantID == a.App.TenantID &&
			(a.MaxAge < 0 || s.Now().Sub(ls.AuthTime) <= storage.Lifetime(a.MaxAge, time.Second)):
			s.resumeSession(w, r, a, params, ls, user)
			return
		case err != nil && !errors.Is(err, auth.ErrNoSession):
			s.authorizeFailure(w, r, a, params, err)
			return
		}
	}
	if a.PromptNone {
		// OIDC Core §3.1.2.6: no session the user need not interact for.
		s.redirectError(w, r, a, params, "login_required", "authentication_required", "The user must sign in.")
		return
	}
	if p, ok := s.hintedProvider(r, a, params); ok {
		s.startFederation(w, r, a, params, p)
		return
	}
	s.loginPage(w, r, a, params, http.StatusOK, params.Get("login_hint"), "")
}

// resumeSession answers an authorize request with the live SSO session ls
// of user: a code, unless this application asks this user for a second
// factor the session's login did not complete (auth.ResumeSession). Then
// the hosted two-factor page for a pending login of the session's user,
// whose completion starts a new session recording the factor and replaces
// the SSO cookie; with prompt=none, which shows no page, login_required
// (OIDC Core §3.1.2.6) and never a code.
func (s *Server) resumeSession(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values,
	ls storage.LoginSession, user storage.User) {
	err := s.Auth.ResumeSession(r.Context(), a, auth.SessionResume{Session: ls, User: user, TwoFactorTrustID: s.trustID(r, ""),
		IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), Interactive: !a.PromptNone})
	var held *auth.Withheld
	switch {
	case err == nil:
		s.finishAuthorize(w, r, a, params, ls)
	case errors.As(err, &held) && held.Kind == auth.WithheldRegistrationUnverified && a.PromptNone:
		s.redirectError(w, r, a, params, "access_denied", "registration_not_verified", "The user's registration is not verified.")
	case errors.As(err, &held) && held.Kind == auth.WithheldRegistrationUnverified:
		s.loginPage(w, r, a, params, http.StatusOK, user.Email, "login.error.registrationUnverified") // 213
	case errors.As(err, &held) && a.PromptNone:
		s.redirectError(w, r, a, params, "login_required", "multi_factor_challenge_required",
			"The user must complete a second factor.")
	case errors.As(err, &held):
		s.twoFactorPage(w, r, a, params, held.TwoFactorID, emailMethods(held.Methods), "", "")
	default:
		s.authorizeFailure(w, r, a, params, err)
	}
}

// hostedLogin handles the login form: the same Login use case as
// /api/login (password check, lockout, events, rehash), issuing no token
// itself, then a login session and a code. The route's guard already
// checked the form's origin and CSRF token and took a hashing-gate slot.
func (s *Server) hostedLogin(w http.ResponseWriter, r *http.Request, params url.Values) {
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	loginID, password := params.Get("loginId"), params.Get("password")
	if strings.Contains(loginID, "@") {
		if p, ok := s.domainProvider(r, a, loginID); ok {
			// A managed domain (FusionAuth's): its provider signs the user in;
			// a password typed here is neither checked nor sent anywhere.
			q := url.Values{}
			for _, n := range authorizeParams {
				q.Set(n, params.Get(n))
			}
			q.Set("login_hint", loginID)
			s.startFederation(w, r, a, q, p)
			return
		}
	}
	if loginID == "" || password == "" {
		s.loginPage(w, r, a, params, http.StatusBadRequest, loginID, "login.error.missing")
		return
	}
	t, err := s.Auth.Login(r.Context(), auth.LoginRequest{LoginID: loginID, Password: password,
		ApplicationID: a.App.ID, IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), OAuth: true, NoJWT: true, TwoFactorTrustID: s.trustID(r, "")})
	if err != nil {
		s.hostedLoginFailure(w, r, a, params, loginID, err)
		return
	}
	s.startHostedSession(w, r, a, params, t, "PASSWORD")
}

// startHostedSession ends a login on the hosted page: a login session (with
// the SSO cookie when the application opted in) and the code. authType is
// how the user signed in (FusionAuth's authenticationType); the session
// records whether the login t completed a second factor.
func (s *Server) startHostedSession(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, t auth.Tokens, authType string) {
	if !s.completePendingLink(w, r, a, params, t.User.ID, authType) {
		// The pending link would pass the provider's link limit: no link,
		// no session, no code.
		s.loginPage(w, r, a, params, http.StatusOK, "", "login.error.linkLimit")
		return
	}
	ls, raw, err := s.Auth.StartSession(r.Context(), auth.SessionStart{User: t.User, AuthType: authType,
		SecondFactor: t.SecondFactor, Cookie: a.App.OAuthConfiguration.SSOEnabled})
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	if raw != "" {
		s.writeCookie(w, r, s.ssoCookieName(r), raw, int(auth.LoginSessionTTL/time.Second))
	}
	s.finishAuthorize(w, r, a, params, ls)
}

// hostedLoginFailure shows a refused login on the form again. Every
// credential failure is one message (security-bar.md L2).
func (s *Server) hostedLoginFailure(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, loginID string, err error) {
	var locked *auth.LockedError
	var withheld *auth.Withheld
	msg, status := "", http.StatusOK
	switch {
	case errors.As(err, &withheld) && withheld.Kind == auth.WithheldTwoFactor:
		s.twoFactorPage(w, r, a, params, withheld.TwoFactorID, emailMethods(withheld.Methods), "", "")
		return
	case errors.As(err, &withheld) && withheld.Kind == auth.WithheldChangePassword:
		// The password verified but must be changed first (FusionAuth 203);
		// the hosted page has no change-password step yet, so it says so.
		msg = "login.error.changePassword"
	case errors.As(err, &withheld) && withheld.Kind == auth.WithheldEmailUnverified:
		msg = "login.error.unverified" // 212: the tenant gates unverified users
	case errors.As(err, &withheld) && withheld.Kind == auth.WithheldRegistrationUnverified:
		msg = "login.error.registrationUnverified" // 213
	case errors.As(err, &withheld) && withheld.Kind == auth.WithheldLoginPrevented:
		// 409 on /api/login; the client is told in the password grant's words.
		s.redirectError(w, r, a, params, "access_denied", "login_prevented", "A user action prevents this user from logging in.")
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		msg = "login.error.invalid"
	case errors.As(err, &locked):
		msg, status = "login.error.locked", http.StatusConflict
	case errors.Is(err, auth.ErrExpiredUser):
		msg, status = "login.error.expired", http.StatusGone
	case errors.Is(err, auth.ErrRegistrationRequired):
		s.redirectError(w, r, a, params, "access_denied", "registration_required", "The user is not registered for this application.")
		return
	default:
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	s.loginPage(w, r, a, params, status, loginID, msg)
}

// finishAuthorize issues the code and sends the browser back (RFC 6749
// §4.1.2) with code, state, iss (RFC 9207: a client talking to several
// servers learns which one answered, the mix-up defence), locale and
// FusionAuth's userState.
func (s *Server) finishAuthorize(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, ls storage.LoginSession) {
	code, err := s.Auth.IssueCode(r.Context(), a, ls, s.clientIP(r))
	var held *auth.Withheld
	switch {
	case errors.Is(err, auth.ErrRegistrationRequired):
		s.redirectError(w, r, a, params, "access_denied", "registration_required", "The user is not registered for this application.")
		return
	case errors.As(err, &held) && held.Kind == auth.WithheldLoginPrevented:
		// As the page's password login is refused (hostedLoginFailure).
		s.redirectError(w, r, a, params, "access_denied", "login_prevented", "A user action prevents this user from logging in.")
		return
	}
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	v := url.Values{"code": {code}, "iss": {a.Issuer}, "userState": {"Authenticated"}}
	if a.State != "" {
		v.Set("state", a.State)
	}
	if l := params.Get("locale"); l != "" {
		v.Set("locale", hosted.Language(l, "").String())
	}
	redirect(w, appendQuery(a.RedirectURI, v))
}

// authorizeFailure sends a refused request back to the client when its
// redirect_uri is registered (RFC 6749 §4.1.2.1), else shows it on the error
// page. An infrastructure failure is a page: the client learns nothing
// useful from it, and the user sees that it was not their fault.
func (s *Server) authorizeFailure(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, err error) {
	var ae *auth.AuthorizeError
	switch {
	case errors.As(err, &ae) && ae.Redirect:
		s.redirectError(w, r, a, params, ae.Code, ae.Reason, ae.Description)
	case errors.As(err, &ae):
		s.errorPage(w, r, http.StatusBadRequest, ae.Code, ae.Reason, ae.Description, params.Get("locale"))
	case errors.Is(err, password.ErrBusy):
		s.noteBusy(r, nil)
		s.busyPage(w, r, params.Get("locale"))
	case storage.Transient(err):
		w.Header().Set("Retry-After", "1")
		s.errorPage(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "", "The service is temporarily unavailable. Try again shortly.", params.Get("locale"))
	case s.clientGone(w, r, err):
	default:
		s.Logger.ErrorContext(r.Context(), "authorize: internal error", "request_id", requestID(r.Context()), "error", err.Error())
		s.errorPage(w, r, http.StatusInternalServerError, "server_error", "", "An internal error occurred. Request id "+requestID(r.Context())+".", params.Get("locale"))
	}
}

// redirectError sends error, error_reason, error_description, state and
// iss to the validated redirect_uri (RFC 6749 §4.1.2.1, RFC 9207).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, code, reason, desc string) {
	v := url.Values{"error": {code}, "error_description": {desc}, "iss": {a.Issuer}}
	if reason != "" {
		v.Set("error_reason", reason)
	}
	if st := params.Get("state"); st != "" {
		v.Set("state", st)
	}
	redirect(w, appendQuery(a.RedirectURI, v))
}

// loginPage renders the hosted login form for a.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, status int, loginID, msg string) {
	d := &hosted.Data{Lang: params.Get("locale"), AppName: a.App.Name, Action: "/oauth2/authorize",
		CSRF: s.csrfToken(w, r), LoginID: loginID, Error: msg}
	d.Providers, d.ManagedDomains = s.providerButtons(r, a, params)
	s.pendingLinkNotice(r, a, params, d)
	if a.App.RegistrationConfiguration.Enabled {
		d.RegisterURL = "/oauth2/register?" + authorizeQuery(params).Encode()
	}
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			d.Hidden = append(d.Hidden, hosted.Field{Name: n, Value: v})
		}
	}
	csp := pageCSP(cspSource(a.RedirectURI))
	if s.MFA != nil && s.MFA.PasskeysOffered(r.Context(), a.App, manage.NormalizeOrigin(s.publicBase(r))) {
		d.Passkey, d.Nonce, d.ApplicationID = true, rand.Text(), a.App.ID
		csp = scriptCSP(d.Nonce, cspSource(a.RedirectURI))
	}
	theme := s.pages().Theme(a.App.ID, a.App.TenantID)
	s.renderPage(w, r, status, "login", theme, csp, d)
}

// appendQuery adds v to uri's query without re-encoding what is there, so
// the registered URI comes back exactly as registered (FusionAuth issue
// #2767 mangled it).
func appendQuery(uri string, v url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
		if strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&") {
			sep = ""
		}
	}
	return uri + sep + v.Encode()
}

// redirect answers 302 Found with Location (FusionAuth's status).
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}
