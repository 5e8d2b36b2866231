package server_test

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestUserDeleteRequestBodyHardDeletes: DELETE /api/user/{id} with FusionAuth's
// UserDeleteSingleRequest body {"hardDelete":true} (what the clients'
// deleteUserWithRequest sends) removes the user, as ?hardDelete=true does:
// the user is gone, user.delete (not user.deactivate) is sent and the email
// can be used again. {"hardDelete":false} and no body keep the soft delete; a
// hardDelete that is not a boolean is refused and changes nothing.
func TestUserDeleteRequestBodyHardDeletes(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserDelete, events.UserDeactivate}, "")}), 200)
	const email = "bob@example.test"
	create := func() string {
		res := s.api("POST", "/api/user", `{"user":{"email":"`+email+`","password":"a long enough password"}}`)
		wantStatus(t, res, 200)
		return res.json(t)["user"].(map[string]any)["id"].(string)
	}
	id := create()

	bad := s.api("DELETE", "/api/user/"+id, `{"hardDelete":"yes"}`)
	if bad.status != 400 {
		t.Fatalf("hardDelete \"yes\": %d %s, want 400", bad.status, bad.body)
	}
	for _, body := range []string{`{"hardDelete":false}`, ""} {
		wantStatus(t, s.api("DELETE", "/api/user/"+id, body), 200)
		got := s.api("GET", "/api/user/"+id, nil)
		wantStatus(t, got, 200)
		if active := got.json(t)["user"].(map[string]any)["active"]; active != false {
			t.Fatalf("body %q: active %v, want a deactivated user", body, active)
		}
		wantStatus(t, s.api("PUT", "/api/user/"+id+"?reactivate=true", nil), 200)
	}

	wantStatus(t, s.api("DELETE", "/api/user/"+id, `{"hardDelete":true}`), 200)
	if got := s.api("GET", "/api/user/"+id, nil); got.status != 404 {
		t.Fatalf("after the hard delete: %d %s, want 404", got.status, got.body)
	}
	d := rec.waitFor(events.UserDelete, 1)[0]
	if u := d.event["user"].(map[string]any); u["id"] != id || u["email"] != email {
		t.Errorf("user.delete names %v, want %s", u, id)
	}
	if again := create(); again == id {
		t.Errorf("the email's new user has the deleted user's id")
	}
}
