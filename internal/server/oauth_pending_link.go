package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// The hosted login page's pending link (a provider's CreatePendingLink):
// a sign-in through the provider whose account is linked to nobody in the
// application's tenant keeps its pendingIdPLinkId in an HttpOnly cookie and
// shows the login form saying so; the next sign-in on that browser that
// ends in a session here (a password, a passkey, a second factor after
// either) links the account to its user, and the cookie goes. The link is
// made only to a user of the pending link's tenant, once
// (manage.IdentityProviderLinks.LinkPending).
const pendingLinkCookie = "latchkey_pending_link"

func (s *Server) pendingLinkCookieName(r *http.Request) string {
	return s.hostCookieName(r, pendingLinkCookie)
}

// pendingLinkNotice fills d with the provider and account the browser's
// pending link names, when it has a live one of a's tenant.
func (s *Server) pendingLinkNotice(r *http.Request, a auth.Authorization, d *hosted.Data) {
	c, err := r.Cookie(s.pendingLinkCookieName(r))
	if err != nil || c.Value == "" {
		return
	}
	pl, _, err := s.Manage.IdentityProviderLinks.Pending(r.Context(), manage.Scope{TenantID: a.App.TenantID}, c.Value, "")
	if err != nil {
		return
	}
	d.LinkProvider, d.LinkAccount = pl.IdentityProviderName, pl.DisplayName
}

// showPendingLink keeps a sign-in's pending link in the browser's cookie
// (the caller then shows the login form, which names it).
func (s *Server) showPendingLink(w http.ResponseWriter, r *http.Request, p *auth.PendingLink) {
	s.writeCookie(w, r, s.pendingLinkCookieName(r), p.ID, int(auth.PendingLinkTTL.Seconds()))
	// The login page rendered next reads the pending link from the request.
	r.AddCookie(&http.Cookie{Name: s.pendingLinkCookieName(r), Value: p.ID})
}

// completePendingLink links the browser's pending link, if any, to the
// user a hosted sign-in just authenticated (not through a provider: that
// one is the provider's own user), and drops the cookie whatever comes of
// it: a pending link of another tenant, expired or used links nothing.
func (s *Server) completePendingLink(w http.ResponseWriter, r *http.Request, a auth.Authorization, userID, authType string) {
	c, err := r.Cookie(s.pendingLinkCookieName(r))
	if err != nil || c.Value == "" || authType == "OPENID_CONNECT" {
		return
	}
	s.writeCookie(w, r, s.pendingLinkCookieName(r), "", -1)
	_, err = s.Manage.IdentityProviderLinks.LinkPending(r.Context(), manage.Scope{TenantID: a.App.TenantID}, c.Value, userID)
	var inv *manage.Invalid
	switch {
	case err == nil:
	case errors.As(err, &inv):
		s.Logger.InfoContext(r.Context(), "pending identity provider link not made", "request_id", requestID(r.Context()), "error", err.Error())
	default:
		s.Logger.WarnContext(r.Context(), "pending identity provider link failed", "request_id", requestID(r.Context()), "error", err.Error())
	}
}
