package server

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The hosted page's "Sign in with …" (FusionAuth's identity provider
// buttons): /oauth2/federate/{id} sends the browser to the upstream
// provider with state, nonce and PKCE; /oauth2/callback takes the code back,
// has it verified (internal/federation), links or creates the user
// (auth.FederatedUser), starts a login session and finishes the original
// authorization request. What must survive the round trip (the provider,
// state, nonce, PKCE verifier and the client's authorization request) is
// sealed with AES-GCM under a key every node shares into a short-lived,
// HttpOnly cookie, so any node can finish the flow and the browser can
// neither read nor alter it.
const (
	federationCookie = "latchkey_federation"
	federationTTL    = 10 * time.Minute
)

type federationState struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Params   string `json:"q"`           // the client's authorization request
	Test     string `json:"t,omitempty"` // a connection test's id: a test-mode sign-in (oauth_federation_test_mode.go)
	Expires  int64  `json:"e"`
}

func (s *Server) federationCookieName(r *http.Request) string {
	return s.hostCookieName(r, federationCookie)
}

// callbackURL is where upstream providers send the browser back; register
// it at the provider.
func (s *Server) callbackURL(r *http.Request) string { return s.publicBase(r) + "/oauth2/callback" }

// federate handles GET /oauth2/federate/{id}?<authorization request>.
func (s *Server) federate(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	if id := params.Get("connectionTestId"); id != "" {
		s.federateTest(w, r, a, params, r.PathValue("id"), id)
		return
	}
	p, ok := s.buttonProvider(w, r, a, params, r.PathValue("id"))
	if !ok {
		return
	}
	s.startFederation(w, r, a, params, p)
}

// startFederation sends the browser to provider p for the authorization
// request a (params), holding what the callback needs in the sealed state
// cookie.
func (s *Server) startFederation(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, p storage.IdentityProvider) {
	s.startFederationAs(w, r, a, params, p, "")
}

// startFederationAs is startFederation for connection test test ("" for a
// sign-in).
func (s *Server) startFederationAs(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, p storage.IdentityProvider, test string) {
	q := url.Values{}
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			q.Set(n, v)
		}
	}
	st := federationState{Provider: p.ID, State: rand.Text(), Nonce: rand.Text(), Verifier: rand.Text() + rand.Text(),
		Params: q.Encode(), Test: test, Expires: s.Now().Add(federationTTL).Unix()}
	hint := params.Get("login_hint")
	if !strings.Contains(hint, "@") {
		hint = "" // a bare domain chose the provider; it names no account there
	}
	target, err := s.federation().AuthorizeURL(r.Context(), p, s.callbackURL(r), st.State, st.Nonce, st.Verifier, hint)
	if err != nil {
		s.Logger.InfoContext(r.Context(), "federation: provider unreachable", "request_id", requestID(r.Context()), "error", err.Error())
		s.redirectError(w, r, a, params, "temporarily_unavailable", "", "The identity provider cannot be reached.")
		return
	}
	sealed, err := s.sealState(r.Context(), st)
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	s.writeCookie(w, r, s.federationCookieName(r), sealed, int(federationTTL/time.Second))
	redirect(w, target)
}

// buttonProvider loads a provider that is enabled for the client.
func (s *Server) buttonProvider(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, id string) (storage.IdentityProvider, bool) {
	p, err := s.Manage.IdentityProviders.Get(r.Context(), id)
	if err != nil && !errors.Is(err, manage.ErrNotFound) {
		s.authorizeFailure(w, r, a, params, err)
		return p, false
	}
	if err != nil || !providerFor(p, a.App.ID) {
		s.errorPage(w, r, http.StatusNotFound, "invalid_request", "", "This identity provider is not available for the application.", params.Get("locale"))
		return p, false
	}
	return p, true
}

// hintedProvider is the provider the authorization request asks to skip
// the login page for (FusionAuth's hints): idp_hint names one by id;
// otherwise a login_hint that is an email address or a domain names the
// provider managing that domain. Either must be enabled for the client;
// anything else (an unknown id, a provider this client does not offer, a
// domain nobody manages) is no hint, and the login page is shown.
func (s *Server) hintedProvider(r *http.Request, a auth.Authorization, params url.Values) (storage.IdentityProvider, bool) {
	var p storage.IdentityProvider
	var err error
	switch idp, login := params.Get("idp_hint"), params.Get("login_hint"); {
	case idp != "":
		p, err = s.Manage.IdentityProviders.Get(r.Context(), idp)
	case login != "":
		return s.domainProvider(r, a, login)
	default:
		return p, false
	}
	return p, err == nil && providerFor(p, a.App.ID)
}

// domainProvider is the provider enabled for the client that manages the
// domain of loginID (an email address, or a bare domain), if any.
func (s *Server) domainProvider(r *http.Request, a auth.Authorization, loginID string) (storage.IdentityProvider, bool) {
	p, err := s.Manage.IdentityProviders.Lookup(r.Context(), loginID)
	return p, err == nil && providerFor(p, a.App.ID)
}

func providerFor(p storage.IdentityProvider, appID string) bool {
	c, ok := p.ApplicationConfiguration[appID]
	return p.Enabled && ok && c.Enabled
}

// federationCallback handles GET /oauth2/callback?code&state from the
// upstream provider.
func (s *Server) federationCallback(w http.ResponseWriter, r *http.Request) {
	st, ok := s.openState(r)
	s.writeCookie(w, r, s.federationCookieName(r), "", -1) // single use, whatever happens
	if !ok || subtle.ConstantTimeCompare([]byte(st.State), []byte(r.URL.Query().Get("state"))) != 1 {
		s.errorPage(w, r, http.StatusBadRequest, "invalid_request", "invalid_state",
			"This sign-in answer does not belong to a sign-in started here, or it expired. Start again from the application.", "")
		return
	}
	params, _ := url.ParseQuery(st.Params)
	a, err := s.Auth.CheckAuthorize(r.Context(), authorizeRequest(params))
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	if st.Test != "" {
		s.testCallback(w, r, st)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		s.redirectError(w, r, a, params, "access_denied", "", "The identity provider did not sign the user in.")
		return
	}
	p, ok := s.buttonProvider(w, r, a, params, st.Provider)
	if !ok {
		return
	}
	up, err := s.federation().ExchangeTokens(r.Context(), p, r.URL.Query().Get("code"), s.callbackURL(r), st.Verifier, st.Nonce)
	var user storage.User
	var app storage.Application
	if err == nil {
		user, app, err = s.Auth.FederatedUser(r.Context(), auth.FederatedRequest{Provider: p, ApplicationID: a.App.ID,
			Claims: up.Claims, IDToken: up.IDToken, RawIDToken: up.RawIDToken, IPAddress: s.clientIP(r)})
	}
	if err != nil {
		s.Logger.InfoContext(r.Context(), "federated login refused", "request_id", requestID(r.Context()), "error", err.Error())
		var pending *auth.PendingLink
		if errors.As(err, &pending) { // the user signs in here to link it (oauth_pending_link.go)
			if s.showPendingLink(w, r, params, pending) {
				s.loginPage(w, r, a, params, http.StatusOK, "", "")
				return
			}
		}
		if errors.Is(err, auth.ErrLinkLimit) {
			s.redirectError(w, r, a, params, "access_denied", "", "The user has the most links to this identity provider their tenant allows.")
			return
		}
		s.redirectError(w, r, a, params, "access_denied", "", "The sign-in with the identity provider was refused.")
		return
	}
	// The login itself is recorded as POST /api/identity-provider/login
	// records it (lastLoginInstant, the login record, user.login.success
	// naming the provider); the tokens come from the code.
	t, err := s.Auth.IssueFederated(r.Context(), auth.FederatedLogin{User: user, Application: app, Provider: p,
		IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), NoJWT: true, TwoFactorTrustID: s.trustID(r, "")})
	if err != nil {
		// Refused or withheld as the page's password login is (a user
		// action that prevents the login: access_denied, login_prevented; a
		// second factor: the two-factor page, whose completion starts the
		// session with the pending login's OPENID_CONNECT).
		s.hostedLoginFailure(w, r, a, params, "", err)
		return
	}
	s.startHostedSession(w, r, a, params, t, "OPENID_CONNECT")
}

// providerButtons lists the "Sign in with …" buttons of the login page,
// and says whether a provider enabled for the client manages email
// domains: such a provider has no button (as in FusionAuth); the user
// enters an email address at one of its domains instead (hostedLogin).
func (s *Server) providerButtons(r *http.Request, a auth.Authorization, params url.Values) (buttons []hosted.Provider, managedDomains bool) {
	ps, err := s.Manage.IdentityProviders.List(r.Context(), "OpenIDConnect")
	if err != nil {
		return nil, false
	}
	// Only the authorization request travels on: never the login form's
	// password or CSRF token of a page shown again after a failure.
	q := url.Values{}
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			q.Set(n, v)
		}
	}
	for _, p := range ps {
		if !providerFor(p, a.App.ID) {
			continue
		}
		if len(p.Domains) > 0 {
			managedDomains = true
			continue
		}
		text := p.ButtonText
		if t := p.ApplicationConfiguration[a.App.ID].ButtonText; t != "" {
			text = t
		}
		buttons = append(buttons, hosted.Provider{Name: text, URL: "/oauth2/federate/" + p.ID + "?" + q.Encode()})
	}
	return buttons, managedDomains
}

// stateAEADs are the ciphers of the federation state cookie, one per key
// of auth's FederationKeys: the first seals, all open.
func stateAEADs(keys [][]byte) []cipher.AEAD {
	var out []cipher.AEAD
	for _, key := range keys {
		k := sha256.Sum256(append([]byte("latchkey federation state v1"), key...))
		block, err := aes.NewCipher(k[:])
		if err != nil {
			continue
		}
		if aead, err := cipher.NewGCM(block); err == nil {
			out = append(out, aead)
		}
	}
	return out
}

func (s *Server) sealState(_ context.Context, st federationState) (string, error) {
	return s.sealJSON(st)
}

func (s *Server) openState(r *http.Request) (federationState, bool) {
	var st federationState
	ok := s.openJSON(singleCookie(r, s.federationCookieName(r)), &st) && s.Now().Unix() <= st.Expires
	return st, ok
}

// sealJSON seals v's JSON with the current federation key (AES-GCM), for a
// cookie the browser can neither read nor alter.
func (s *Server) sealJSON(v any) (string, error) {
	aeads := stateAEADs(s.Auth.FederationKeys())
	if len(aeads) == 0 {
		return "", errors.New("server: no federation state key")
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aeads[0].NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aeads[0].Seal(nonce, nonce, plain, nil)), nil
}

// openJSON opens what sealJSON sealed into v under any federation key.
func (s *Server) openJSON(raw string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || raw == "" {
		return false
	}
	for _, aead := range stateAEADs(s.Auth.FederationKeys()) {
		if len(b) < aead.NonceSize() {
			continue
		}
		plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
		if err == nil && json.Unmarshal(plain, v) == nil {
			return true
		}
	}
	return false
}
