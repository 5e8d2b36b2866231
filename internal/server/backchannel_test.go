package server_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestBackchannelLogout: when a session ends at /oauth2/logout, an
// application that received tokens in it and registered a
// backchannelLogoutURL is POSTed a logout token (OpenID Connect Back-Channel
// Logout 1.0) that verifies against the JWKS, names the user and the id
// token's sid, carries the logout event and no nonce. An application of the
// session without a URL is not called, nor is one outside the session.
func TestBackchannelLogout(t *testing.T) {
	got := make(chan url.Values, 4)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil && r.Method == http.MethodPost {
			got <- r.PostForm
		}
	}))
	t.Cleanup(rp.Close)
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.BackchannelLogoutURL = rp.URL + "/backchannel"
	})
	verifier, challenge := pkce("backchannel-")
	// Two browsers, two sessions; the second logs out.
	first := idTokenClaims(t, s.exchange(forumsApp, newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier))
	b := newBrowser(s)
	tok := s.exchange(forumsApp, b.login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier)
	second := idTokenClaims(t, tok)
	if res := b.get("/oauth2/logout?id_token_hint=" + tok.json(t)["id_token"].(string)); res.status != 200 {
		t.Fatalf("logout: %d %s", res.status, res.body)
	}
	var form url.Values
	select {
	case form = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no back-channel logout notice within 20 s")
	}
	ctx := context.Background()
	v := oidc.NewVerifier(s.URL, oidc.NewRemoteKeySet(ctx, s.URL+"/.well-known/jwks.json"),
		&oidc.Config{ClientID: forumsApp, Now: s.Clock.Now, SupportedSigningAlgs: []string{"ES256", "RS256"}})
	lt, err := v.Verify(ctx, form.Get("logout_token"))
	must(t, err)
	var c struct {
		SID    string         `json:"sid"`
		Nonce  *string        `json:"nonce"`
		Events map[string]any `json:"events"`
	}
	must(t, lt.Claims(&c))
	if lt.Subject != aliceID || c.Nonce != nil || c.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		t.Fatalf("logout token sub %q claims %+v", lt.Subject, c)
	}
	if c.SID != second["sid"] || c.SID == first["sid"] {
		t.Fatalf("logout token sid %q, want the ended session's %v (not %v)", c.SID, second["sid"], first["sid"])
	}
	select {
	case extra := <-got:
		t.Fatalf("a second notice: %v", extra)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestFailedBackchannelLogoutIsInTheEventLog: a relying party whose
// back-channel endpoint answers 503, or whose address refuses the
// connection (the HTTP client's error quotes the whole URL), is retried,
// each attempt is counted in latchkey_outbox_deliveries_total, and each
// failure is an Error entry in the event log naming the application and
// the relying party's host, never the logout URL's path or query (which
// may carry a token) nor the user.
func TestFailedBackchannelLogoutIsInTheEventLog(t *testing.T) {
	const pathToken, queryToken = "bcl-path-token-6f2a", "bcl-query-token-91cd"
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	t.Cleanup(rp.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	refused := "http://" + l.Addr().String()
	must(t, l.Close())
	for name, base := range map[string]string{"answers 503": rp.URL, "refuses the connection": refused} {
		t.Run(name, func(t *testing.T) {
			s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
				apps[forumsApp].OAuthConfiguration.BackchannelLogoutURL = base + "/" + pathToken + "?k=" + queryToken
			})
			verifier, challenge := pkce("backchannel-fail-")
			b := newBrowser(s)
			tok := s.exchange(forumsApp, b.login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier)
			if res := b.get("/oauth2/logout?id_token_hint=" + tok.json(t)["id_token"].(string)); res.status != 200 {
				t.Fatalf("logout: %d %s", res.status, res.body)
			}
			var entries []any
			waitFor(t, "the failed notice in the event log", func() bool {
				res := s.do(call{method: "POST", path: "/api/system/event-log/search", hdr: admin, body: `{"search":{"message":"back-channel","type":"Error"}}`})
				entries, _ = res.json(t)["eventLogs"].([]any)
				return len(entries) > 0
			})
			msg, _ := entries[0].(map[string]any)["message"].(string)
			host := strings.TrimPrefix(base, "http://")
			if !strings.Contains(msg, "["+forumsApp+"]") || !strings.Contains(msg, "["+host+"]") || !strings.Contains(msg, "will retry at") {
				t.Fatalf("entry %q", msg)
			}
			for _, secret := range []string{pathToken, queryToken, aliceID, aliceEmail} {
				if strings.Contains(msg, secret) {
					t.Fatalf("%q leaked into the event log: %s", secret, msg)
				}
			}
			waitFor(t, "the attempt counted", func() bool {
				return value(s.scrape(t), "latchkey_outbox_deliveries_total", map[string]string{"queue": "backchannel_logout", "result": "retry"}) >= 1
			})
		})
	}
}
