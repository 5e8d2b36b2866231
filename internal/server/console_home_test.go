package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/tally"
)

// dashboardTotal reads a kind's total from the dashboard's table
// alternative of its chart.
func dashboardTotal(t *testing.T, page []byte, kind string) string {
	t.Helper()
	table := regexp.MustCompile(`(?s)<table id="table-` + kind + `">.*?</table>`).Find(page)
	if table == nil {
		t.Fatalf("no table for %s on the dashboard:\n%s", kind, page)
	}
	m := regexp.MustCompile(`<tfoot><tr><th scope="row">Total</th><td>(\d+)</td>`).FindSubmatch(table)
	if m == nil {
		t.Fatalf("no total in the %s table:\n%s", kind, table)
	}
	return string(m[1])
}

// TestConsoleDashboardChartsSecurityEvents: real logins, failed logins,
// refreshes, a refresh-token reuse and a lockout, once flushed, show on the
// dashboard: each kind's chart is an SVG and its table alternative has the
// count; a second flush adds to the first. A non-admin gets the 403 page.
func TestConsoleDashboardChartsSecurityEvents(t *testing.T) {
	s, c := newConsole(t)
	ctx := context.Background()
	wantConsoleStatus(t, "admin signs in", c.signIn(t, rootEmail, rootPass), 303) // a login

	first := s.login(storeApp, nil)
	wantConsoleStatus(t, "alice's login", first, 200)
	rt1 := first.json(t)["refreshToken"].(string)
	rot := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + rt1 + `"}`})
	wantConsoleStatus(t, "refresh", rot, 200)
	rt2 := rot.json(t)["refreshToken"].(string)
	if got := s.refresh(rt2); got != 200 {
		t.Fatalf("second refresh = %d", got)
	}
	// rt1 again, past the retry window: a reuse, the family is revoked.
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second)
	if got := s.refresh(rt1); got != 404 {
		t.Fatalf("reused refresh token = %d, want 404", got)
	}
	must(t, s.Srv.Tally.Flush(ctx))

	// Three wrong passwords lock alice (the stack's tenant allows three).
	for range 3 {
		wantConsoleStatus(t, "wrong password", s.loginWith("Wr0ng-password-for-alice"), 404)
	}
	wantConsoleStatus(t, "alice's login while locked", s.login(storeApp, nil), 409)
	must(t, s.Srv.Tally.Flush(ctx))

	page := c.get("/admin/")
	wantConsoleStatus(t, "dashboard", page, 200)
	for kind, want := range map[string]string{
		// The admin's sign-in and alice's first login.
		tally.Login: "2",
		// The three wrong passwords and the login refused while locked.
		tally.Failure: "4",
		tally.Refresh: "2", tally.Reuse: "1", tally.Lockout: "1",
	} {
		if got := dashboardTotal(t, page.body, kind); got != want {
			t.Errorf("%s total on the dashboard = %s, want %s", kind, got, want)
		}
		if !regexp.MustCompile(`<svg class="chart" id="chart-` + kind + `"[^>]*role="img"`).Match(page.body) {
			t.Errorf("no %s chart on the dashboard", kind)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("dashboard CSP %q: want default-src 'none' and no script", csp)
	}
	if strings.Contains(string(page.body), "<script") {
		t.Fatal("the dashboard has a script")
	}

	// A non-admin gets the 403 page, without the counts: alice signing in,
	// and an admin whose role was removed, on their next request.
	alice := &consoleClient{s: s, origin: s.URL}
	s.Clock.Advance(10 * time.Minute) // alice's lock has ended
	wantConsoleStatus(t, "non-admin signs in", alice.signIn(t, aliceEmail, alicePass), 403)
	root, err := s.Srv.Manage.Users.Find(ctx, manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	_, err = s.Srv.Manage.Registrations.Update(ctx, manage.Scope{}, root.ID, manage.AdminApplicationID,
		func(r storage.Registration) (storage.Registration, error) { r.Roles = nil; return r, nil })
	must(t, err)
	refused := c.get("/admin/")
	wantConsoleStatus(t, "former admin loads the dashboard", refused, 403)
	if strings.Contains(string(refused.body), "table-login") || strings.Contains(string(refused.body), "<svg") {
		t.Fatalf("the 403 page shows the dashboard:\n%s", refused.body)
	}
}
