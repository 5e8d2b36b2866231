package server

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// The hosted login page's pending link (a provider's CreatePendingLink): a
// sign-in through the provider whose account is linked to nobody in the
// application's tenant shows the login form naming that account, and the
// sign-in completed on that form (a password or a passkey, with its second
// factor) links the account to its user. The pending link is bound to that
// form: its id travels sealed (AES-GCM, the federation keys) in an HttpOnly
// cookie with a random token, and the form carries the token as the
// authorization parameter pending_link, so a sign-in that starts anywhere
// else (another authorization request, another user at the same browser)
// never links it; the cookie lives federationTTL and goes with the next
// sign-in whatever comes of it. The link is made only to a user of the
// pending link's tenant, once (manage.IdentityProviderLinks.LinkPending).
const (
	pendingLinkCookie = "latchkey_pending_link"
	pendingLinkParam  = "pending_link"
)

type pendingLinkState struct {
	ID      string `json:"i"`
	Token   string `json:"t"`
	Expires int64  `json:"e"`
}

func (s *Server) pendingLinkCookieName(r *http.Request) string {
	return s.hostCookieName(r, pendingLinkCookie)
}

// pendingLinkOf is the browser's pending link when the form it posted (or
// the page shown) carries its token.
func (s *Server) pendingLinkOf(r *http.Request, params url.Values) (pendingLinkState, bool) {
	var st pendingLinkState
	tok := params.Get(pendingLinkParam)
	if tok == "" || !s.openJSON(singleCookie(r, s.pendingLinkCookieName(r)), &st) || s.Now().Unix() > st.Expires {
		return st, false
	}
	return st, subtle.ConstantTimeCompare([]byte(tok), []byte(st.Token)) == 1
}

// pendingLinkNotice fills d with the provider and account of the pending
// link the page's form carries, when it is live and of a's tenant.
func (s *Server) pendingLinkNotice(r *http.Request, a auth.Authorization, params url.Values, d *hosted.Data) {
	st, ok := s.pendingLinkOf(r, params)
	if !ok {
		return
	}
	pl, err := s.Manage.IdentityProviderLinks.Pending(r.Context(), manage.Scope{TenantID: a.App.TenantID}, st.ID, "")
	if err != nil {
		return
	}
	d.LinkProvider, d.LinkAccount = pl.PendingIdPLink.IdentityProviderName, pl.PendingIdPLink.DisplayName
}

// showPendingLink keeps a sign-in's pending link for the login form the
// caller shows next: the sealed cookie, and its token in params (the
// form's hidden fields). false when it cannot be sealed.
func (s *Server) showPendingLink(w http.ResponseWriter, r *http.Request, params url.Values, p *auth.PendingLink) bool {
	st := pendingLinkState{ID: p.ID, Token: rand.Text(), Expires: s.Now().Add(federationTTL).Unix()}
	sealed, err := s.sealJSON(st)
	if err != nil {
		return false
	}
	s.writeCookie(w, r, s.pendingLinkCookieName(r), sealed, int(federationTTL.Seconds()))
	// The page rendered next reads the pending link from the request.
	r.AddCookie(&http.Cookie{Name: s.pendingLinkCookieName(r), Value: sealed})
	params.Set(pendingLinkParam, st.Token)
	return true
}

// completePendingLink links the pending link the completed form carried to
// the user it just authenticated (not through a provider: that one is the
// provider's own user), and drops the browser's cookie whatever comes of
// it: a pending link of another tenant, expired or used links nothing and
// the sign-in goes on. It is called before the sign-in's session starts:
// false when the user has the links the provider allows them
// (manage.IdentityProviderLinks.Link's [tooMany]), and then the caller
// starts no session and issues no code.
func (s *Server) completePendingLink(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, userID, authType string) bool {
	if singleCookie(r, s.pendingLinkCookieName(r)) == "" {
		return true
	}
	s.writeCookie(w, r, s.pendingLinkCookieName(r), "", -1)
	st, ok := s.pendingLinkOf(r, params)
	if !ok || authType == "OPENID_CONNECT" {
		return true
	}
	_, err := s.Manage.IdentityProviderLinks.LinkPending(r.Context(), manage.Scope{TenantID: a.App.TenantID}, st.ID, userID)
	var inv *manage.Invalid
	switch {
	case err == nil:
	case errors.As(err, &inv):
		s.Logger.InfoContext(r.Context(), "pending identity provider link not made", "request_id", requestID(r.Context()), "error", err.Error())
		for _, p := range inv.Problems {
			if p.Kind == "tooMany" {
				return false
			}
		}
	default:
		s.Logger.WarnContext(r.Context(), "pending identity provider link failed", "request_id", requestID(r.Context()), "error", err.Error())
	}
	return true
}
