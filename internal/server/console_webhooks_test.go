package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestConsoleManagesWebhooks: the admin creates a webhook for user.create
// (a bad URL or timeout is shown next to its field, nothing stored), edits
// its events, sends a test event the receiver gets and sees its answer
// (and a failure when the receiver refuses), and deletes it after
// confirming. Cross-site and non-admin forms change nothing.
func TestConsoleManagesWebhooks(t *testing.T) {
	s, c := newConsole(t)
	ctx := context.Background()
	rec := newReceiver(t)
	c.signInAdmin(t)
	token := csrf(t, c.get("/admin/webhooks"))
	hooks := func() int {
		ws, err := s.Store.ListWebhooks(ctx)
		must(t, err)
		return len(ws)
	}
	form := url.Values{"csrf": {token}, "url": {rec.srv.URL}, "description": {"audit sink"}, "connect": {"1000"}, "read": {"2000"},
		"event": {"user.create"}, "global": {"on"}}
	for field, bad := range map[string][2]string{"url": {"url", "ftp://example.test/x"}, "read": {"read", "soon"}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(bad[0], bad[1])
		res := c.post("/admin/webhooks", f)
		wantFieldError(t, "a bad "+field, res, field)
	}
	strangers := newRefusals(t, s, c)
	evil, former, formerToken := strangers.evil, strangers.former, strangers.formerToken
	strangers.refused(t, "/admin/webhooks", form, func() {
		if n := hooks(); n != 0 {
			t.Fatalf("refused forms stored %d webhooks", n)
		}
	})

	created := c.post("/admin/webhooks", form)
	wantConsoleStatus(t, "create", created, 303)
	path := strings.SplitN(created.header.Get("Location"), "?", 2)[0]
	ws, err := s.Store.ListWebhooks(ctx)
	must(t, err)
	if len(ws) != 1 || !ws[0].EventsEnabled["user.create"] || ws[0].URL != rec.srv.URL || !ws[0].Global {
		t.Fatalf("stored webhooks: %+v", ws)
	}
	edit := url.Values{}
	for k, v := range form {
		edit[k] = v
	}
	edit["event"] = []string{"user.create", "user.delete"}
	edit.Set("revision", pageRevision(t, c.get(path)))
	wantConsoleStatus(t, "cross-site edit", evil.post(path, edit), 403)
	wantConsoleStatus(t, "save", c.post(path, edit), 303)
	got, err := s.Store.GetWebhook(ctx, ws[0].ID)
	must(t, err)
	if !got.EventsEnabled["user.delete"] || !got.EventsEnabled["user.create"] {
		t.Fatalf("events after the edit: %v", got.EventsEnabled)
	}

	tested := c.post(path+"/test", url.Values{"csrf": {token}})
	wantConsoleStatus(t, "test", tested, 200)
	if d := rec.deliveries(); len(d) != 1 || d[0].event["type"] != events.Test {
		t.Fatalf("the receiver got %d requests", len(d))
	}
	if !strings.Contains(string(tested.body), "was delivered") {
		t.Fatalf("the test's success is not shown:\n%s", tested.body)
	}
	rec.answer(http.StatusServiceUnavailable)
	failed := c.post(path+"/test", url.Values{"csrf": {token}})
	if !strings.Contains(string(failed.body), "was not delivered") {
		t.Fatalf("the test's failure is not shown:\n%s", failed.body)
	}
	wantConsoleStatus(t, "non-admin test", former.post(path+"/test", url.Values{"csrf": {formerToken}}), 403)
	if n := len(rec.deliveries()); n != 2 {
		t.Fatalf("the receiver got %d requests, want 2 (a refused test sends none)", n)
	}

	unconfirmed := c.post(path+"/delete", url.Values{"csrf": {token}})
	wantFieldError(t, "delete without confirming", unconfirmed, "delete")
	wantConsoleStatus(t, "non-admin delete", former.post(path+"/delete", url.Values{"csrf": {formerToken}, "confirm": {"yes"}}), 403)
	if n := hooks(); n != 1 {
		t.Fatalf("refused deletes left %d webhooks", n)
	}
	wantConsoleStatus(t, "delete", c.post(path+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}}), 303)
	if n := hooks(); n != 0 {
		t.Fatalf("%d webhooks after the delete", n)
	}
}
