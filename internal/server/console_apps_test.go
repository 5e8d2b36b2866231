package server_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// appFormOf is the application form as the console's page fills it from
// the stored application: what a browser posts when the admin changes
// nothing.
func appFormOf(t *testing.T, s *stack, appID, token string) url.Values {
	t.Helper()
	a, err := s.Store.GetApplication(context.Background(), appID)
	must(t, err)
	j, o := a.JWTConfiguration, a.OAuthConfiguration
	on := func(b bool) []string {
		if b {
			return []string{"on"}
		}
		return nil
	}
	v := url.Values{"csrf": {token}, "revision": {strconv.FormatInt(a.Revision, 10)}, "ttl": {strconv.Itoa(j.TimeToLiveInSeconds)},
		"refreshTTL":  {strconv.Itoa(j.RefreshTokenTimeToLiveInMinutes)},
		"maxTTL":      {strconv.Itoa(j.RefreshTokenSlidingWindowConfiguration.MaximumTimeToLiveInMinutes)},
		"grace":       {strconv.Itoa(j.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds)},
		"usagePolicy": {j.RefreshTokenUsagePolicy}, "expirationPolicy": {j.RefreshTokenExpirationPolicy},
		"enabled": on(j.Enabled), "generateRefresh": on(a.LoginConfiguration.GenerateRefreshTokens),
		"allowRefresh": on(a.LoginConfiguration.AllowTokenRefresh), "scoped": on(a.CookieConfiguration.Scoped),
		"origins": {strings.Join(o.AuthorizedOriginURLs, "\n")}, "redirects": {strings.Join(o.AuthorizedRedirectURLs, "\n")},
		"urlPolicy": {firstNonEmpty(o.AuthorizedURLValidationPolicy, "ExactMatch")}, "clientAuth": {o.ClientAuthenticationPolicy},
		"pkce": {firstNonEmpty(o.ProofKeyForCodeExchangePolicy, "NotRequired")}, "logoutURL": {o.LogoutURL},
		"grant": o.EnabledGrants, "requireRegistration": on(o.RequireRegistration),
		"backchannelLogoutURL": {o.BackchannelLogoutURL}, "accessKey": {j.AccessTokenKeyID}, "idKey": {j.IDTokenKeyID},
		"mfaTrust": {"Any"}}
	if m := a.MultiFactorConfiguration; m != nil {
		v.Set("mfaLogin", m.LoginPolicy)
		v.Set("mfaTrust", firstNonEmpty(m.TrustPolicy, "Any"))
	}
	// The stack's fixture applications were stored without lifetimes and
	// policies (zero values, which the form refuses): the ones a new
	// application gets.
	for k, def := range map[string]string{"ttl": "3600", "refreshTTL": "43200", "maxTTL": "43200",
		"usagePolicy": "Reusable", "expirationPolicy": "Fixed"} {
		if v.Get(k) == "" || v.Get(k) == "0" {
			v.Set(k, def)
		}
	}
	for k, vs := range v {
		if len(vs) == 0 {
			delete(v, k)
		}
	}
	return v
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// TestConsoleEditsOAuthSettings: the admin sets Store's redirect URL,
// grants, client authentication, PKCE and logout URL; the next
// authorization request is judged by them. A redirect URL with a fragment
// and a logout URL that is not http(s) are shown next to their fields and
// nothing is saved; a form posted unchanged changes nothing.
func TestConsoleEditsOAuthSettings(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	ctx := context.Background()
	const callback = "https://shop.example.test/callback"
	authorize := func(withChallenge bool) int {
		q := url.Values{"client_id": {storeApp}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"s1"}}
		if withChallenge {
			q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
			q.Set("code_challenge_method", "S256")
		}
		return s.do(call{method: "GET", path: "/oauth2/authorize?" + q.Encode()}).status
	}
	if got := authorize(true); got == 200 {
		t.Fatal("the callback is accepted before the console allows it")
	}
	before, err := s.Store.GetApplication(ctx, storeApp)
	must(t, err)
	token := csrf(t, c.get("/admin/applications/"+storeApp))
	wantConsoleStatus(t, "save unchanged", c.post("/admin/applications/"+storeApp, appFormOf(t, s, storeApp, token)), 303)
	unchanged, err := s.Store.GetApplication(ctx, storeApp)
	must(t, err)
	if !equalOAuth(before.OAuthConfiguration, unchanged.OAuthConfiguration) {
		t.Fatalf("an unchanged form changed OAuth settings:\n%+v\n%+v", before.OAuthConfiguration, unchanged.OAuthConfiguration)
	}

	form := appFormOf(t, s, storeApp, token)
	form.Set("redirects", callback+"#fragment")
	form.Set("logoutURL", "javascript:alert(1)")
	bad := c.post("/admin/applications/"+storeApp, form)
	wantConsoleStatus(t, "a redirect URL with a fragment", bad, 400)
	for _, id := range []string{`id="redirects-error"`, `id="logoutURL-error"`} {
		if !strings.Contains(string(bad.body), id) {
			t.Fatalf("no %s next to its field:\n%s", id, bad.body)
		}
	}
	if after, _ := s.Store.GetApplication(ctx, storeApp); !equalOAuth(before.OAuthConfiguration, after.OAuthConfiguration) {
		t.Fatal("a refused form changed the application")
	}

	form.Set("redirects", callback)
	form.Set("logoutURL", "https://shop.example.test/bye")
	form["grant"] = []string{"authorization_code", "refresh_token"}
	form.Set("clientAuth", "NotRequiredWhenUsingPKCE")
	form.Set("pkce", "Required")
	wantConsoleStatus(t, "save", c.post("/admin/applications/"+storeApp, form), 303)
	a, err := s.Store.GetApplication(ctx, storeApp)
	must(t, err)
	o := a.OAuthConfiguration
	if !slices.Equal(o.AuthorizedRedirectURLs, []string{callback}) || o.LogoutURL != "https://shop.example.test/bye" ||
		!slices.Equal(o.EnabledGrants, []string{"authorization_code", "refresh_token"}) ||
		o.ClientAuthenticationPolicy != "NotRequiredWhenUsingPKCE" || o.ProofKeyForCodeExchangePolicy != "Required" {
		t.Fatalf("saved OAuth settings: %+v", o)
	}
	if got := authorize(true); got != 200 {
		t.Fatalf("authorize to the new callback with PKCE = %d, want the login page", got)
	}
	if got := authorize(false); got == 200 {
		t.Fatal("authorize without PKCE shows the login page though the console requires PKCE")
	}
}

func equalOAuth(a, b storage.ApplicationOAuthConfig) bool {
	return slices.Equal(a.AuthorizedRedirectURLs, b.AuthorizedRedirectURLs) && slices.Equal(a.EnabledGrants, b.EnabledGrants) &&
		a.ClientAuthenticationPolicy == b.ClientAuthenticationPolicy && a.ProofKeyForCodeExchangePolicy == b.ProofKeyForCodeExchangePolicy &&
		a.AuthorizedURLValidationPolicy == b.AuthorizedURLValidationPolicy && a.LogoutURL == b.LogoutURL &&
		a.RequireRegistration == b.RequireRegistration && slices.Equal(a.AuthorizedOriginURLs, b.AuthorizedOriginURLs)
}

// TestConsoleAddsAndRemovesRoles: a role added in the console can be given
// to a registration at once; a duplicate name is refused next to the name
// field; removing needs the confirmation and takes the role from the
// registration; the console's own admin role cannot be removed. A
// cross-site post or a non-admin's adds nothing.
func TestConsoleAddsAndRemovesRoles(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/applications/"+storeApp)
	ctx := context.Background()
	roles := func() []string {
		a, err := s.Store.GetApplication(ctx, storeApp)
		must(t, err)
		var names []string
		for _, r := range a.Roles {
			names = append(names, r.Name)
		}
		return names
	}
	start := roles()
	add := url.Values{"csrf": {token}, "roleName": {"auditor"}, "roleDescription": {"reads the books"}}

	strangers := newRefusals(t, s, c)
	strangers.refused(t, "/admin/applications/"+storeApp+"/roles", add, func() {
		if got := roles(); !slices.Equal(got, start) {
			t.Fatalf("a refused add changed the roles: %v", got)
		}
	})

	wantConsoleStatus(t, "add", c.post("/admin/applications/"+storeApp+"/roles", add), 303)
	dup := c.post("/admin/applications/"+storeApp+"/roles", add)
	wantFieldError(t, "add a duplicate", dup, "roleName")
	if got := roles(); len(got) != len(start)+1 || !slices.Contains(got, "auditor") {
		t.Fatalf("roles after adding auditor (and a refused duplicate): %v", got)
	}
	s.apiOK("PATCH", "/api/user/registration/"+aliceID, map[string]any{"registration": map[string]any{"applicationId": storeApp,
		"roles": []string{"auditor"}}})

	a, err := s.Store.GetApplication(ctx, storeApp)
	must(t, err)
	var roleID string
	for _, r := range a.Roles {
		if r.Name == "auditor" {
			roleID = r.ID
		}
	}
	remove := "/admin/applications/" + storeApp + "/roles/" + roleID + "/delete"
	unconfirmed := c.post(remove, url.Values{"csrf": {token}})
	wantConsoleStatus(t, "remove without confirming", unconfirmed, 400)
	if !strings.Contains(string(unconfirmed.body), `id="remove-`+roleID+`-error"`) {
		t.Fatalf("no message next to the role's confirmation box:\n%s", unconfirmed.body)
	}
	strangers.refused(t, remove, url.Values{"csrf": {token}, "confirm": {"yes"}}, func() {
		if got := roles(); !slices.Contains(got, "auditor") {
			t.Fatal("a refused removal removed the role")
		}
	})
	wantConsoleStatus(t, "remove", c.post(remove, url.Values{"csrf": {token}, "confirm": {"yes"}}), 303)
	if got := roles(); slices.Contains(got, "auditor") {
		t.Fatalf("roles after removing auditor: %v", got)
	}
	admin, err := s.Store.GetApplication(ctx, manage.AdminApplicationID)
	must(t, err)
	for _, r := range admin.Roles {
		if r.Name == manage.AdminRole {
			wantConsoleStatus(t, "remove the console's admin role", c.post("/admin/applications/"+admin.ID+"/roles/"+r.ID+"/delete",
				url.Values{"csrf": {token}, "confirm": {"yes"}}), 400)
		}
	}
	wantConsoleStatus(t, "the console after refusing to remove its admin role", c.get("/admin/users"), 200)
	reg, err := s.Store.GetRegistration(ctx, aliceID, storeApp)
	must(t, err)
	if slices.Contains(reg.Roles, "auditor") {
		t.Fatalf("alice's registration keeps the removed role: %v", reg.Roles)
	}
}
