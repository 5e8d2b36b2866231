package server

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestRouteTable checks every row of the route table for the rules a new
// endpoint could otherwise silently miss: an explicit authentication class,
// a body bound on every method that sends a body, the API key permission of
// FusionAuth's endpoint naming, no CORS on the management API, the CSRF
// guard on every route a cookie authenticates, the hashing gate only where a
// body is read, and 405 rows whose Allow names exactly the methods of their
// path.
func TestRouteTable(t *testing.T) {
	s, _, _ := newUnitServer(t)
	rs := s.routes()
	methods := map[string][]string{} // path -> methods of its rows
	for _, rt := range rs {
		if m, p, ok := strings.Cut(rt.pattern, " "); ok {
			methods[p] = append(methods[p], m)
		}
	}
	seen := map[string]bool{}
	perms := map[string]bool{}
	for _, rt := range rs {
		if rt.auth.permission != "" {
			perms[rt.auth.permission] = true
		}
	}
	if got := slices.Sorted(maps.Keys(perms)); !slices.Equal(got, manage.EndpointPermissions) {
		t.Errorf("the route table checks the permissions %v; manage.EndpointPermissions (what Kickstart and API-key validation accept) lists %v", got, manage.EndpointPermissions)
	}
	rates := map[string]*rateLimit{}
	for _, rt := range rs {
		t.Run(rt.pattern, func(t *testing.T) {
			checkRate(t, rt, rates)
			if seen[rt.pattern] {
				t.Fatal("pattern listed twice")
			}
			seen[rt.pattern] = true
			m, p, hasMethod := strings.Cut(rt.pattern, " ")
			if !hasMethod {
				p = rt.pattern
			}
			if rt.handler == nil {
				t.Fatal("no handler")
			}
			if rt.auth.kind == authUnset {
				t.Fatal("no auth class: say who may call it (authn.go)")
			}
			if k := rt.auth.kind; (k == authAPIKey || k == authClientOrAPIKey || k == authKeyOrAnonymous || k == authAPIKeyOrAccessToken) != (rt.auth.permission != "") {
				t.Fatalf("permission %q does not fit auth kind %d", rt.auth.permission, k)
			}
			// FusionAuth names an endpoint by its path without the id
			// segments: /api/application/{id}/role is /api/application/role.
			if perm, name := rt.auth.permission, endpointName(p); perm != "" && name != perm && !strings.HasPrefix(name, perm+"/") {
				t.Fatalf("permission %q is not a FusionAuth endpoint prefix of %s", perm, name)
			}
			switch m {
			case "POST", "PUT", "PATCH":
				if rt.body <= 0 {
					t.Fatal("a method with a body needs a body bound")
				}
			}
			if rt.password != noPassword && (m != "POST" || rt.body <= 0) {
				t.Fatal("the hashing gate reads the body of a POST: give it one")
			}
			if rt.auth.kind == authAPIKey && rt.cors != corsNone {
				t.Fatal("an API-key route must not be callable from a browser script (security-bar.md A4)")
			}
			// The access-token class also accepts the access_token cookie, and
			// the refresh-token class reads the refresh cookie: a browser sends
			// both with a forged cross-site request, so a route that acts on them
			// with anything but a read needs the Origin guard.
			cookieAuth := rt.auth.kind == authRefreshToken || ((rt.auth.kind == authAccessToken || rt.auth.kind == authAPIKeyOrAccessToken) && m != "GET")
			if cookieAuth && hasMethod && !rt.spendsCookie {
				t.Fatal("authenticated by a cookie: mark it spendsCookie (the CSRF guard)")
			}
			// The console (console.go): its pages are html, and every form
			// it posts is same-origin only, whoever may send it (other html
			// POSTs have their own rules: hostedForm, or an OIDC logout an
			// RP posts cross-site).
			if rt.auth.kind == authConsole && !rt.html {
				t.Fatal("a console route is a page: mark it html")
			}
			if strings.HasPrefix(p, "/admin") && hasMethod && m != "GET" && !rt.sameOrigin {
				t.Fatal("a console form must be sameOrigin (refuseCrossSite)")
			}
			// The hosted pages' forms carry the CSRF token (hostedForm);
			// RP-initiated logout is the one html POST another site's form
			// sends by design (OpenID Connect RP-Initiated Logout 1.0).
			if rt.html && hasMethod && m != "GET" && !rt.sameOrigin && !rt.hostedForm && rt.pattern != "POST /oauth2/logout" {
				t.Fatal("a page's form must be sameOrigin or a hostedForm")
			}
			if rt.html && rt.cors != corsNone {
				t.Fatal("a console page must not be callable from another origin's script")
			}
			if rt.spendsCookie && rt.cors == corsAnyOrigin {
				t.Fatal("a cookie-spending route cannot be open to any origin")
			}
			// A hosted form is a page, never callable from another origin's
			// script; its password check is the form's (verifiesPasswordForm
			// reads the form the CSRF guard parsed).
			if rt.hostedForm && (!rt.html || rt.cors != corsNone || m != "POST") {
				t.Fatal("a hostedForm row is a POST of an html page without CORS")
			}
			if (rt.password == verifiesPasswordForm) != (rt.hostedForm && rt.password != noPassword) {
				t.Fatal("verifiesPasswordForm belongs on hostedForm rows, and they use no other")
			}
			if !hasMethod {
				assertAllow(t, rt, methods[p])
			}
		})
	}
}

// endpointName is path without its {wildcard} segments.
func endpointName(path string) string {
	var keep []string
	for _, seg := range strings.Split(path, "/") {
		if !strings.HasPrefix(seg, "{") {
			keep = append(keep, seg)
		}
	}
	return strings.Join(keep, "/")
}

// assertAllow checks that a 405 row's Allow header lists exactly the methods
// the table has for its path.
func assertAllow(t *testing.T, rt route, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("a 405 row for a path with no routes")
	}
	rec := httptest.NewRecorder()
	f := strings.Fields(rt.pattern)
	rt.handler(rec, httptest.NewRequest(http.MethodGet, f[len(f)-1], nil))
	got := strings.Split(rec.Header().Get("Allow"), ", ")
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if rec.Code != 405 || !slices.Equal(got, want) {
		t.Fatalf("%d Allow %v, want 405 Allow %v", rec.Code, got, want)
	}
}

// checkRate checks a row's per-address rate limit: a named rule with a
// positive limit and window, one rule per name (rows sharing a name share
// buckets), and not on a route every caller of which holds an API key
// (keys are not counted, so the limit would do nothing).
func checkRate(t *testing.T, rt route, seen map[string]*rateLimit) {
	t.Helper()
	r := rt.rate
	if r == nil {
		return
	}
	if r.name == "" || r.limit <= 0 || r.window <= 0 {
		t.Fatalf("rate limit %+v needs a name, a limit and a window", *r)
	}
	if prev, ok := seen[r.name]; ok && prev != r {
		t.Fatalf("two rate rules are named %q", r.name)
	}
	seen[r.name] = r
	if rt.auth.kind == authAPIKey {
		t.Fatal("a rate limit on an API-key route counts nothing: keys are exempt")
	}
}
