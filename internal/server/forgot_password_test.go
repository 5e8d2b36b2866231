package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestForgotPasswordWithKey: an API key gets the changePasswordId (golden)
// and the mail goes out with a link carrying that same id to the
// application's origin, with the state appended; an unknown login id is an
// empty 404; sendForgotPasswordMessage false sends nothing; a user without
// an address is 422 when a mail is due.
func TestForgotPasswordWithKey(t *testing.T) {
	s := newMailStack(t)
	res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin,
		body: `{"loginId":"ALICE@example.test","applicationId":"` + storeApp + `","state":{"from":"/cart"}}`})
	if res.status != 200 {
		t.Fatalf("forgot password: %d %s", res.status, res.body)
	}
	managementGolden(t, "forgot-password-key", res.status, res.body)
	id := res.json(t)["changePasswordId"].(string)
	m := s.mailTo(aliceEmail, 1)[0]
	if got := linkID(t, m, storeSite+"/password/change/"); got != id || m.Subject != "Reset your password" ||
		!strings.Contains(m.Text, "?from=%2Fcart") || !strings.Contains(m.From, "no-reply@example.test") {
		t.Fatalf("mail %q from %q links %v (want id %s and the state)", m.Subject, m.From, m.Links, id)
	}

	res = s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{"loginId":"nobody@example.test"}`})
	if res.status != 404 || len(res.body) != 0 {
		t.Fatalf("unknown login id: %d %q", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin,
		body: `{"email":"alice","sendForgotPasswordMessage":false}`})
	if res.status != 200 || res.json(t)["changePasswordId"] == "" {
		t.Fatalf("username alias, no mail: %d %s", res.status, res.body)
	}
	s.drained()
	if n := len(s.mailTo(aliceEmail, 1)); n != 1 {
		t.Fatalf("%d mails after sendForgotPasswordMessage false, want still 1", n)
	}

	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000000b9", TenantID: tenantID,
		Active: true, Username: "nomail", Verified: true}))
	res = s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{"loginId":"nomail"}`})
	if res.status != 422 {
		t.Fatalf("user without an address: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{}`})
	managementGolden(t, "forgot-password-blank", res.status, res.body)
}

// TestForgotPasswordKeyless (adversarial, L2): without an API key the
// answer for an account and for an unknown login id is the same 200 with
// the same headers and no body, and the request does the same work — one
// job stored, nothing looked up — so neither answer nor timing tells them
// apart; the account gets its mail from the job, the unknown id nothing.
// The route is rate-limited per address (429 with Retry-After); an API
// key is not counted.
func TestForgotPasswordKeyless(t *testing.T) {
	s := newMailStack(t)
	ask := func(loginID string) result {
		return s.do(call{method: "POST", path: "/api/user/forgot-password",
			body: `{"loginId":"` + loginID + `","applicationId":"` + storeApp + `"}`})
	}
	known, unknown := ask(aliceEmail), ask("nobody@example.test")
	if known.status != 200 || unknown.status != 200 || len(known.body) != 0 || len(unknown.body) != 0 {
		t.Fatalf("known %d %q, unknown %d %q; want 200 and no body for both", known.status, known.body, unknown.status, unknown.body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "Set-Cookie"} {
		if known.header.Get(h) != unknown.header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, known.header.Get(h), unknown.header.Get(h))
		}
	}
	m := s.mailTo(aliceEmail, 1)[0]
	if id := linkID(t, m, storeSite+"/password/change/"); len(id) != 43 {
		t.Fatalf("changePasswordId in the mail = %q", id)
	}
	s.noMailTo("nobody@example.test")
	jobs, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "account"})
	must(t, err)
	if len(jobs) != 2 {
		t.Fatalf("%d account jobs, want one per request whatever it named", len(jobs))
	}

	// 10 per 10 minutes per address: two used above.
	for i := range 8 {
		if res := ask("nobody@example.test"); res.status != 200 {
			t.Fatalf("request %d within the limit: %d", i+3, res.status)
		}
	}
	res := ask(aliceEmail)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("11th request: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
	// The message names the wait, which counts down while the test runs:
	// it must agree with Retry-After and lie within the window's minute;
	// the golden file pins the rest with the number named.
	wait := regexp.MustCompile(`Try again in (\d+) seconds`)
	m2 := wait.FindSubmatch(res.body)
	if m2 == nil || string(m2[1]) != res.header.Get("Retry-After") {
		t.Fatalf("429 body %s does not name the Retry-After %q", res.body, res.header.Get("Retry-After"))
	}
	if n, _ := strconv.Atoi(string(m2[1])); n < 1 || n > 60 {
		t.Fatalf("Retry-After %d, want 1..60 seconds", n)
	}
	managementGolden(t, "forgot-password-429", res.status, wait.ReplaceAll(res.body, []byte("Try again in {seconds} seconds")))
	if res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{"loginId":"` + aliceEmail + `"}`}); res.status != 200 {
		t.Fatalf("an API key is not limited by address: %d", res.status)
	}
}

// TestMailLinksIgnoreTheRequestHost (adversarial, security bar P4: links
// only to configured hosts): a keyless forgot-password request whose Host
// and X-Forwarded-* headers name an attacker's site gets a mail whose link
// still points at the application's authorized origin, or, with no
// application, at the server's configured issuer. A link built from the
// request would hand the attacker the changePasswordId (password-reset
// poisoning).
func TestMailLinksIgnoreTheRequestHost(t *testing.T) {
	s := newMailStack(t)
	forged := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example",
		"X-Forwarded-Proto": "https", "Forwarded": "host=evil.example;proto=https"}
	ask := func(body string) {
		t.Helper()
		if res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: forged, body: body}); res.status != 200 {
			t.Fatalf("forgot password with a forged host: %d %s", res.status, res.body)
		}
	}
	ask(`{"loginId":"` + aliceEmail + `","applicationId":"` + storeApp + `"}`)
	ask(`{"loginId":"` + aliceEmail + `"}`)
	msgs := s.mailTo(aliceEmail, 2) // the outbox may send them in either order
	issuer := strings.TrimRight(s.Srv.Config.Issuer, "/")
	if issuer == "" || strings.Contains(issuer, "evil") || issuer == storeSite {
		t.Fatalf("the stack's issuer %q cannot tell the two apart", issuer)
	}
	under := func(m mailcatcher.Message, base string) bool {
		for _, l := range m.Links {
			if strings.HasPrefix(l, base+"/password/change/") {
				return true
			}
		}
		return false
	}
	if under(msgs[1], storeSite) {
		msgs[0], msgs[1] = msgs[1], msgs[0]
	}
	for i, base := range []string{storeSite, issuer} {
		m := msgs[i]
		if !under(m, base) {
			t.Fatalf("mail %d links %v, want one under %s (one mail per request: the application's origin, then the issuer)", i, m.Links, base)
		}
		if id := linkID(t, m, base+"/password/change/"); len(id) != 43 {
			t.Fatalf("mail %d: changePasswordId %q under %s", i, id, base)
		}
		for _, l := range m.Links {
			if strings.Contains(l, "evil.example") {
				t.Fatalf("mail %d links to the request's host: %v", i, m.Links)
			}
		}
		if strings.Contains(m.Text+m.HTML, "evil.example") {
			t.Fatalf("mail %d names the request's host", i)
		}
	}
}

// TestMailFailureNeverFailsTheCall: with the SMTP server down the API
// answers as usual and the mail waits in the outbox, retried later.
func TestMailFailureNeverFailsTheCall(t *testing.T) {
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.EmailConfiguration.Host, tn.EmailConfiguration.Port = "127.0.0.1", 1 // nothing listens on port 1
	})
	res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin, body: `{"loginId":"` + aliceEmail + `"}`})
	if res.status != 200 {
		t.Fatalf("forgot password with SMTP down: %d %s", res.status, res.body)
	}
	msgs, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "mail"})
	must(t, err)
	if len(msgs) != 1 || msgs[0].State != storage.OutboxPending {
		t.Fatalf("outbox = %+v, want the message pending", msgs)
	}
}
