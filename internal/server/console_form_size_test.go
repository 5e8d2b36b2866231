package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// wantTooLarge wants res to be the console's 413 page saying the form was
// too large (not the 403 of a forged form).
func wantTooLarge(t *testing.T, what string, res result) {
	t.Helper()
	wantConsoleStatus(t, what, res, 413)
	if !strings.Contains(string(res.body), "The form was too large") {
		t.Fatalf("%s: the page does not say the form was too large:\n%s", what, res.body)
	}
}

// TestConsoleFormOverTheBodyBoundIsTooLarge: a console form over the 64
// KiB body bound (a 70,000-character first name, a lock's comment, the
// sign-in form) answers the 413 page saying the form was too large, and
// nothing changes: the name is not saved, alice is not locked, no session
// is made. It used to be the 403 page of a form not sent by the console
// (the unread form had no CSRF token).
func TestConsoleFormOverTheBodyBoundIsTooLarge(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	huge := strings.Repeat("a", 70_000)
	wantTooLarge(t, "edit with a 70,000-character first name", c.post("/admin/users/"+aliceID+"/edit",
		url.Values{"csrf": {token}, "email": {aliceEmail}, "firstName": {huge}}))
	u, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	if u.FirstName == huge {
		t.Fatal("the too-large edit was saved")
	}
	wantTooLarge(t, "lock with a 70,000-character comment", c.post("/admin/users/"+aliceID+"/lock",
		url.Values{"csrf": {token}, "confirm": {"yes"}, "duration": {"never"}, "comment": {huge}}))
	logs, err := s.Store.ListUserActionLogs(context.Background(), aliceID)
	must(t, err)
	if len(logs) != 0 {
		t.Fatalf("the too-large lock took an action: %+v", logs)
	}
	aliceCanLogIn(t, s)

	stranger := &consoleClient{s: s, origin: c.origin}
	wantTooLarge(t, "sign-in with a 70,000-character password", stranger.post("/admin/login",
		url.Values{"loginId": {rootEmail}, "password": {huge}}))
	if stranger.signIn(t, rootEmail, huge); stranger.cookie != "" {
		t.Fatal("a too-large sign-in form set the console cookie")
	}
}

// TestConsoleUserEditTakesWhatTheUserAPITakes: the console's edit goes
// through the user API's update, so a first name within the body bound
// is judged by the API's rule: 60,000 characters, which PATCH /api/user
// accepts, are saved by the console too.
func TestConsoleUserEditTakesWhatTheUserAPITakes(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	long := strings.Repeat("b", 60_000)
	wantConsoleStatus(t, "PATCH /api/user with a 60,000-character first name", s.do(call{method: "PATCH",
		path: "/api/user/" + aliceID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"user":{"firstName":"` + strings.Repeat("c", 60_000) + `"}}`}), 200)
	wantConsoleStatus(t, "console edit with a 60,000-character first name", c.post("/admin/users/"+aliceID+"/edit",
		url.Values{"csrf": {token}, "email": {aliceEmail}, "firstName": {long}}), 303)
	u, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	if u.FirstName != long {
		t.Fatalf("first name of %d characters saved, want %d", len(u.FirstName), len(long))
	}
}
