package server_test

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestFederatedLoginSendsLoginSuccess: a login through an OpenID Connect
// identity provider (POST /api/identity-provider/login) sends
// user.login.success to a real receiver like a password login, with
// authenticationType OPENID_CONNECT and the provider's id and name
// (FusionAuth's identityProviderId and identityProviderName), for the user
// the login answered with, and writes a login record; a password login's
// event names no provider.
func TestFederatedLoginSendsLoginSuccess(t *testing.T) {
	down := buildOAuthStack(t, stackOpts{webhooks: webhookTuning}, allEvents)
	rec := newReceiver(t)
	wantStatus(t, down.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, "")}), 200)
	up := newUpstream(t, upstreamUser{"bob@example.test", true})
	federate(t, down, up, "LinkByEmail")

	res := idpLogin(down, upstreamCode(t, up, "bob@example.test"))
	if res.status != 200 {
		t.Fatalf("identity provider login: %d %s", res.status, res.body)
	}
	userID := res.json(t)["user"].(map[string]any)["id"]
	d := rec.waitMatch(t, func(d delivery) bool {
		u, _ := d.event["user"].(map[string]any)
		return d.event["type"] == events.UserLoginSuccess && u["id"] == userID
	})
	ev := d.event
	if ev["authenticationType"] != "OPENID_CONNECT" || ev["applicationId"] != forumsApp ||
		ev["identityProviderId"] != idpID || ev["identityProviderName"] != "Upstream" {
		t.Errorf("federated login event: %v", ev)
	}
	if u := ev["user"].(map[string]any); u["email"] != "bob@example.test" || u["lastLoginInstant"] == nil {
		t.Errorf("event user %v", u)
	}
	if _, leaked := ev["user"].(map[string]any)["password"]; leaked {
		t.Error("the event carries a password hash")
	}
	logins, _ := down.apiOK("GET", "/api/user/recent-login?userId="+userID.(string), nil)["logins"].([]any)
	if len(logins) != 1 || logins[0].(map[string]any)["applicationId"] != forumsApp {
		t.Errorf("login records after the identity provider login: %v", logins)
	}

	// A password login's event names no identity provider.
	wantStatus(t, down.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`}), 200)
	pw := rec.waitMatch(t, func(d delivery) bool {
		u, _ := d.event["user"].(map[string]any)
		return d.event["type"] == events.UserLoginSuccess && u["id"] == aliceID
	})
	if _, ok := pw.event["identityProviderId"]; ok || pw.event["authenticationType"] != "PASSWORD" {
		t.Errorf("password login event: %v", pw.event)
	}
}

// TestHostedSignInWithProviderRecordsLogin: "Sign in with Upstream" on the
// hosted login page records the login as POST /api/identity-provider/login
// does: the user's and the registration's lastLoginInstant, a login record
// for the application, and user.login.success to a real receiver with
// authenticationType OPENID_CONNECT and the provider's id and name. Before,
// the hosted path only started a session: no login was recorded and no
// event was sent.
func TestHostedSignInWithProviderRecordsLogin(t *testing.T) {
	down := buildOAuthStack(t, stackOpts{webhooks: webhookTuning}, allEvents)
	rec := newReceiver(t)
	wantStatus(t, down.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, "")}), 200)
	up := newUpstream(t, upstreamUser{"erin@example.test", true})
	federate(t, down, up, "LinkByEmail")

	verifier, challenge := pkce("federated-login-")
	_, q := signInWithUpstream(t, newBrowser(down), down, up, "erin@example.test", challenge)
	userID := idTokenClaims(t, down.exchange(forumsApp, q.Get("code"), forumsCallback, verifier))["sub"].(string)

	d := rec.waitMatch(t, func(d delivery) bool {
		u, _ := d.event["user"].(map[string]any)
		return d.event["type"] == events.UserLoginSuccess && u["id"] == userID
	})
	if ev := d.event; ev["authenticationType"] != "OPENID_CONNECT" || ev["applicationId"] != forumsApp ||
		ev["identityProviderId"] != idpID || ev["identityProviderName"] != "Upstream" {
		t.Errorf("hosted federated login event: %v", ev)
	}
	u := down.apiOK("GET", "/api/user/"+userID, nil)["user"].(map[string]any)
	if u["lastLoginInstant"] == nil {
		t.Errorf("the user has no lastLoginInstant after the hosted sign-in: %v", u)
	}
	regs, _ := u["registrations"].([]any)
	if len(regs) != 1 || regs[0].(map[string]any)["applicationId"] != forumsApp || regs[0].(map[string]any)["lastLoginInstant"] == nil {
		t.Errorf("registrations after the hosted sign-in: %v", regs)
	}
	logins, _ := down.apiOK("GET", "/api/user/recent-login?userId="+userID, nil)["logins"].([]any)
	if len(logins) != 1 || logins[0].(map[string]any)["applicationId"] != forumsApp {
		t.Errorf("login records after the hosted sign-in: %v", logins)
	}
}
