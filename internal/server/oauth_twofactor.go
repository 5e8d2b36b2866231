package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The hosted page's second step (FusionAuth's /oauth2/two-factor page). A
// password accepted by auth.Login for a user with a second factor is
// withheld (the 242 of /api/login); the page asks for a code and posts it
// here, where auth.TwoFactorLogin (the use case behind POST
// /api/two-factor/login: lockout, attempt cap, single-use id, trusted
// devices) finishes the login. Then, as after a password alone, a login
// session and a code.

// twoFactorMethodField carries an email method between the steps as
// "<id> <address>", so the page can offer "email me a code" again.
const twoFactorMethodField = "emailMethod"

// twoFactorPage renders the code form for the pending login twoFactorID.
func (s *Server) twoFactorPage(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values,
	twoFactorID string, emails []hosted.Field, msg, notice string) {
	d := &hosted.Data{Lang: params.Get("locale"), AppName: a.App.Name, Action: "/oauth2/two-factor",
		CSRF: s.csrfToken(w, r), Error: msg, Notice: notice, Emails: emails}
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			d.Hidden = append(d.Hidden, hosted.Field{Name: n, Value: v})
		}
	}
	d.Hidden = append(d.Hidden, hosted.Field{Name: "twoFactorId", Value: twoFactorID})
	for _, m := range emails {
		d.Hidden = append(d.Hidden, hosted.Field{Name: twoFactorMethodField, Value: m.Name + " " + m.Value})
	}
	theme := s.pages().Theme(a.App.ID, a.App.TenantID)
	s.renderPage(w, r, http.StatusOK, "twofactor", theme, pageCSP(cspSource(a.RedirectURI)), d)
}

// emailMethods are the methods a code can be emailed to, as page fields
// (Name: method id, Value: address).
func emailMethods(ms []storage.TwoFactorMethod) []hosted.Field {
	var out []hosted.Field
	for _, m := range ms {
		if m.Method == auth.MethodEmail && m.Email != "" {
			out = append(out, hosted.Field{Name: m.ID, Value: m.Email})
		}
	}
	return out
}

// formEmailMethods reads them back from the form.
func formEmailMethods(params url.Values) []hosted.Field {
	var out []hosted.Field
	for _, v := range params[twoFactorMethodField] {
		if id, addr, ok := strings.Cut(v, " "); ok && id != "" && addr != "" {
			out = append(out, hosted.Field{Name: id, Value: addr})
		}
	}
	return out
}

// hostedTwoFactor handles POST /oauth2/two-factor: "send" asks for an
// emailed code, else "code" finishes the login. The route's guard already
// checked the form's origin and CSRF token.
func (s *Server) hostedTwoFactor(w http.ResponseWriter, r *http.Request) {
	params := r.PostForm
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	id, emails := params.Get("twoFactorId"), formEmailMethods(params)
	if methodID := params.Get("send"); methodID != "" {
		s.hostedSendCode(w, r, a, params, id, methodID, emails)
		return
	}
	code := strings.TrimSpace(params.Get("code"))
	if code == "" {
		s.twoFactorPage(w, r, a, params, id, emails, "twoFactor.error.missing", "")
		return
	}
	t, err := s.Auth.TwoFactorLogin(r.Context(), auth.TwoFactorLoginRequest{TwoFactorID: id, Code: code,
		TrustComputer: params.Get("trustComputer") != "", IPAddress: s.clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case errors.Is(err, auth.ErrInvalidTwoFactorCode):
		s.twoFactorPage(w, r, a, params, id, emails, "twoFactor.error.invalid", "")
		return
	case errors.Is(err, auth.ErrTwoFactorNotFound):
		// Expired, used, or ended by too many wrong codes: start again.
		s.loginPage(w, r, a, params, http.StatusOK, "", "twoFactor.error.expired")
		return
	case err != nil:
		s.hostedLoginFailure(w, r, a, params, "", err)
		return
	}
	if t.TwoFactorTrustID != "" {
		s.writeCookie(w, r, s.trustCookieName(), t.TwoFactorTrustID, int(t.TrustExpiresAt.Sub(s.Now())/time.Second))
	}
	authType := "PASSWORD"
	if t.AuthType != "" {
		authType = t.AuthType // the first step was a passkey or an identity provider
	}
	s.startHostedSession(w, r, a, params, t, authType)
}

// hostedSendCode emails a code for the pending login (the use case behind
// POST /api/two-factor/send/{twoFactorId}) and shows the form again.
func (s *Server) hostedSendCode(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values,
	id, methodID string, emails []hosted.Field) {
	addr := ""
	for _, m := range emails {
		if m.Name == methodID {
			addr = m.Value
		}
	}
	err := s.MFA.SendLoginCode(r.Context(), s.Mailer, id, methodID)
	switch {
	case errors.Is(err, auth.ErrTwoFactorNotFound):
		s.loginPage(w, r, a, params, http.StatusOK, "", "twoFactor.error.expired")
	case storage.Transient(err):
		s.authorizeFailure(w, r, a, params, err)
	case err != nil:
		// An unknown method (a tampered form) or no mail configured: the
		// user can still type an authenticator or recovery code.
		s.Logger.InfoContext(r.Context(), "hosted two-factor: code not sent", "request_id", requestID(r.Context()), "error", err.Error())
		s.twoFactorPage(w, r, a, params, id, emails, "twoFactor.error.notSent", "")
	default:
		s.twoFactorPage(w, r, a, params, id, emails, "", addr)
	}
}
