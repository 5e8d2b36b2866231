package server

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A connection test (FusionAuth's /api/identity-provider/test,
// idp_connection_tests.go) is run by a sign-in through the provider in
// test mode: /oauth2/federate/{id}?<authorization request>&connectionTestId=…
// sends the browser to the provider as a sign-in would, even for a
// disabled provider, and the callback records each step (and the
// account the provider named) in the test instead of linking, creating or
// logging in a user: no session, no authorization code, no tokens, as in
// FusionAuth. Step details are latchkey's own fixed sentences, never the
// provider's answers, so no secret or upstream text reaches the results.

const testNotFound = "This connection test does not exist, has expired, was run already, or tests another identity provider."

// federateTest starts the test-mode sign-in of test id with provider
// providerID for the checked authorization request a.
func (s *Server) federateTest(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, providerID, id string) {
	p, err := s.Manage.IdentityProviders.Get(r.Context(), providerID)
	if err == nil {
		var t storage.IdentityProviderConnectionTest
		t, err = s.Manage.IdentityProviderTests.Open(r.Context(), id, p.ID)
		if err == nil && t.TenantID != a.App.TenantID {
			err = manage.ErrNotFound
		}
	}
	if errors.Is(err, manage.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "invalid_request", "", testNotFound, params.Get("locale"))
		return
	}
	if err != nil {
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	if _, err := s.federation().AuthorizeURL(r.Context(), p, s.callbackURL(r), "x", "x", "x", ""); err != nil {
		// The provider's endpoints cannot be resolved: that is the test's
		// outcome; there is nowhere to send the browser.
		s.finishTest(w, r, p, id, storage.IdentityProviderConnectionTest{Steps: []storage.IdentityProviderTestStep{
			{Title: "Resolve the provider's endpoints", Detail: upstreamDetail(err)}}})
		return
	}
	s.startFederationAs(w, r, a, params, p, id)
}

// testCallback finishes the test-mode sign-in st at the provider's
// callback: the code is exchanged and the id token verified as for a
// sign-in, and the steps recorded.
func (s *Server) testCallback(w http.ResponseWriter, r *http.Request, st federationState) {
	p, err := s.Manage.IdentityProviders.Get(r.Context(), st.Provider)
	if errors.Is(err, manage.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "invalid_request", "", testNotFound, "")
		return
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	steps := []storage.IdentityProviderTestStep{{Title: "Resolve the provider's endpoints", Success: true, Detail: "The browser was sent to the provider's authorization endpoint."}}
	var out storage.IdentityProviderConnectionTest
	q := r.URL.Query()
	switch claims, err := map[string]any(nil), error(nil); {
	case q.Get("error") != "":
		steps = append(steps, storage.IdentityProviderTestStep{Title: "Authenticate the user at the provider",
			Detail: "The provider answered with an OAuth error instead of an authorization code."})
	case q.Get("code") == "":
		steps = append(steps, storage.IdentityProviderTestStep{Title: "Authenticate the user at the provider",
			Detail: "The provider answered without an authorization code."})
	default:
		steps = append(steps, storage.IdentityProviderTestStep{Title: "Authenticate the user at the provider", Success: true,
			Detail: "The provider answered with an authorization code."})
		claims, err = s.federation().Exchange(r.Context(), p, q.Get("code"), s.callbackURL(r), st.Verifier, st.Nonce)
		if err != nil {
			steps = append(steps, storage.IdentityProviderTestStep{Title: "Exchange the authorization code", Detail: upstreamDetail(err)})
			break
		}
		steps = append(steps, storage.IdentityProviderTestStep{Title: "Exchange the authorization code", Success: true,
			Detail: "The token endpoint answered and the id token (or userinfo answer) was accepted."})
		out.IdentityProviderUserID = claimText(claims, p.OAuth2.UniqueIDClaim, "sub")
		out.Email = claimText(claims, p.OAuth2.EmailClaim, "email")
		out.Username = claimText(claims, p.OAuth2.UsernameClaim, "preferred_username")
		uid := cmp.Or(p.OAuth2.UniqueIDClaim, "sub")
		if out.IdentityProviderUserID == "" {
			steps = append(steps, storage.IdentityProviderTestStep{Title: "Resolve the user", Detail: "The claims name no [" + uid + "] (the uniqueIdClaim)."})
		} else {
			steps = append(steps, storage.IdentityProviderTestStep{Title: "Resolve the user", Success: true, Detail: "The claims name the user by [" + uid + "]."})
		}
	}
	out.Steps = steps
	s.finishTest(w, r, p, st.Test, out)
}

// finishTest records the outcome of test id and tells the browser the
// test is over.
func (s *Server) finishTest(w http.ResponseWriter, r *http.Request, p storage.IdentityProvider, id string, out storage.IdentityProviderConnectionTest) {
	err := s.Manage.IdentityProviderTests.Complete(r.Context(), id, p.ID, out)
	if errors.Is(err, manage.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "invalid_request", "", testNotFound, "")
		return
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	s.errorPage(w, r, http.StatusOK, "connection_test_complete", "",
		"The identity provider connection test is complete; nobody was signed in. Its results are at GET /api/identity-provider/test.", "")
}

// upstreamDetail names the stage of the federation client's error err in
// a fixed sentence: the error's own text can carry the provider's answer.
func upstreamDetail(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "discovery"):
		return "The provider's OpenID Connect discovery document could not be read from its issuer."
	case strings.Contains(msg, "id token"):
		return "The id token was refused (signature, issuer, audience, expiry or nonce)."
	case strings.Contains(msg, "userinfo"):
		return "The userinfo endpoint failed or named another subject."
	case strings.Contains(msg, "token:"):
		return "The token endpoint refused the authorization code or could not be reached."
	}
	return "The provider's configuration or answer was refused."
}

// claimText is the string claim name (def when name is empty), trimmed.
func claimText(c map[string]any, name, def string) string {
	v, _ := c[cmp.Or(name, def)].(string)
	return strings.TrimSpace(v)
}
