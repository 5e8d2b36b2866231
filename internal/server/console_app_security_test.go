package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

var newSecretInput = regexp.MustCompile(`id="client-secret" type="text" readonly value="([^"]+)"`)

// jwtHeader is the decoded header of a compact JWT.
func jwtHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	must(t, err)
	var h map[string]any
	must(t, json.Unmarshal(raw, &h))
	return h
}

// publishedKid is the kid of a published key of alg.
func publishedKid(t *testing.T, s *stack, alg string) string {
	t.Helper()
	for _, k := range s.do(call{method: "GET", path: "/.well-known/jwks.json"}).json(t)["keys"].([]any) {
		if k := k.(map[string]any); k["alg"] == alg {
			return k["kid"].(string)
		}
	}
	t.Fatalf("no published %s key", alg)
	return ""
}

// passwordGrant is Store's password grant with the client secret given.
func passwordGrant(s *stack, clientSecret string) result {
	return s.token(url.Values{"grant_type": {"password"}, "client_id": {storeApp}, "client_secret": {clientSecret},
		"username": {aliceEmail}, "password": {alicePass}, "scope": {"openid"}})
}

// TestConsoleApplicationSecuritySettings: each of the application page's
// security settings (the back-channel logout URL, the signing keys, the
// two-factor policy, a new client secret), posted by the admin, is used by
// the next login or token request; a bad value is shown next to its field
// and changes nothing; the same form posted cross-site or by a former
// admin is refused and changes nothing; the change is audited with the
// admin as actor and no client secret anywhere in the audit log.
func TestConsoleApplicationSecuritySettings(t *testing.T) {
	type setting struct {
		name, app, action string
		// before runs before the change (and proves it is needed).
		before func(t *testing.T, s *stack)
		// good and bad edit the page's form as posted unchanged.
		good, bad func(t *testing.T, s *stack, form url.Values)
		badField  string
		// took proves the next login or token request uses the change.
		took func(t *testing.T, s *stack, answer result)
	}
	notices := make(chan url.Values, 4)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() == nil && r.Method == http.MethodPost {
			notices <- r.PostForm
		}
	}))
	t.Cleanup(rp.Close)
	for _, tc := range []setting{{
		name: "back-channel logout URL", app: forumsApp,
		good: func(_ *testing.T, _ *stack, f url.Values) { f.Set("backchannelLogoutURL", rp.URL+"/backchannel") },
		bad: func(_ *testing.T, _ *stack, f url.Values) {
			f.Set("backchannelLogoutURL", "ftp://forums.example.test/bc")
		},
		badField: "backchannelLogoutURL",
		took: func(t *testing.T, s *stack, _ result) {
			verifier, challenge := pkce("console-bc-")
			b := newBrowser(s)
			tok := s.exchange(forumsApp, b.login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier)
			wantConsoleStatus(t, "logout", b.get("/oauth2/logout?id_token_hint="+tok.json(t)["id_token"].(string)), 200)
			select {
			case n := <-notices:
				if n.Get("logout_token") == "" {
					t.Fatalf("the notice has no logout token: %v", n)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no back-channel logout notice at the URL set in the console")
			}
		},
	}, {
		name: "signing keys", app: storeApp,
		good: func(t *testing.T, s *stack, f url.Values) {
			f.Set("enabled", "on")
			f.Set("accessKey", publishedKid(t, s, "RS256"))
			f.Set("idKey", publishedKid(t, s, "ES256"))
		},
		bad: func(_ *testing.T, _ *stack, f url.Values) {
			f.Set("enabled", "on")
			f.Set("accessKey", "not-a-published-key")
		},
		badField: "accessKey",
		before: func(t *testing.T, s *stack) {
			if h := jwtHeader(t, passwordGrant(s, secret).json(t)["access_token"].(string)); h["alg"] != "ES256" {
				t.Fatalf("Store's access token before the change: %v, want ES256", h)
			}
		},
		took: func(t *testing.T, s *stack, _ result) {
			res := passwordGrant(s, secret)
			wantConsoleStatus(t, "the password grant", res, 200)
			body := res.json(t)
			at, id := jwtHeader(t, body["access_token"].(string)), jwtHeader(t, body["id_token"].(string))
			if at["kid"] != publishedKid(t, s, "RS256") || at["alg"] != "RS256" {
				t.Fatalf("access token header %v, want the RS256 key chosen in the console", at)
			}
			if id["kid"] != publishedKid(t, s, "ES256") || id["alg"] != "ES256" {
				t.Fatalf("ID token header %v, want the ES256 key chosen in the console", id)
			}
			wantConsoleStatus(t, "the RS256 token at the userinfo endpoint", s.do(call{method: "GET", path: "/oauth2/userinfo",
				hdr: map[string]string{"Authorization": "Bearer " + body["access_token"].(string)}}), 200)
		},
	}, {
		name: "two-factor policy", app: storeApp,
		before:   func(t *testing.T, s *stack) { aliceWithAuthenticator(t, s) }, // her login answers 242
		good:     func(_ *testing.T, _ *stack, f url.Values) { f.Set("mfaLogin", "Disabled") },
		bad:      func(_ *testing.T, _ *stack, f url.Values) { f.Set("mfaLogin", "Required") },
		badField: "mfaLogin",
		took: func(t *testing.T, s *stack, _ result) {
			wantConsoleStatus(t, "alice's login with two-factor disabled for Store", s.login(storeApp, nil), 200)
		},
	}, {
		name: "client secret", app: storeApp, action: "/secret",
		good:     func(_ *testing.T, _ *stack, f url.Values) { f.Set("confirm", "yes") },
		bad:      func(*testing.T, *stack, url.Values) {}, // not confirmed
		badField: "secretConfirm",
		took: func(t *testing.T, s *stack, answer result) {
			m := newSecretInput.FindSubmatch(answer.body)
			if m == nil {
				t.Fatalf("the new secret is not shown:\n%s", answer.body)
			}
			wantConsoleStatus(t, "the old secret", passwordGrant(s, secret), 401)
			wantConsoleStatus(t, "the new secret", passwordGrant(s, string(m[1])), 200)
			c := &consoleClient{s: s, origin: s.URL}
			c.signInAdmin(t)
			if page := c.get("/admin/applications/" + storeApp); strings.Contains(string(page.body), string(m[1])) {
				t.Fatal("the secret is shown again")
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			// Store and Forums with the lifetimes a new application gets
			// (the fixtures leave them zero, which an update refuses).
			s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
				for _, id := range []string{storeApp, forumsApp} {
					apps[id].JWTConfiguration = manage.ApplicationDefaults().JWTConfiguration
				}
			})
			c := consoleOn(t, s)
			c.signInAdmin(t)
			page := "/admin/applications/" + tc.app
			token := csrf(t, c.get(page))
			if tc.before != nil {
				tc.before(t, s)
			}
			form := url.Values{"csrf": {token}}
			if tc.action == "" {
				form = appFormOf(t, s, tc.app, token)
			}
			stored := func() string {
				a, err := s.Store.GetApplication(ctx, tc.app)
				must(t, err)
				b, _ := json.Marshal(a)
				return string(b)
			}
			was := stored()
			unchanged := func() {
				t.Helper()
				if now := stored(); now != was {
					t.Fatalf("the application changed:\n%s\n%s", was, now)
				}
			}
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			tc.bad(t, s, bad)
			refused := c.post(page+tc.action, bad)
			wantFieldError(t, "a bad "+tc.name, refused, tc.badField)
			unchanged()

			tc.good(t, s, form)
			newRefusals(t, s, c).refused(t, page+tc.action, form, unchanged)
			answer := c.post(page+tc.action, form)
			if answer.status != 200 && answer.status != 303 {
				t.Fatalf("%s = %d:\n%s", tc.name, answer.status, answer.body)
			}
			tc.took(t, s, answer)

			entries, _, err := s.Store.SearchAuditEntries(ctx, storage.AuditSearch{User: rootEmail, Limit: 10})
			must(t, err)
			if len(entries) == 0 || !strings.Contains(entries[0].Message, tc.app) {
				t.Fatalf("no audit entry by the admin about the application: %+v", entries)
			}
			all, _, err := s.Store.SearchAuditEntries(ctx, storage.AuditSearch{Limit: 1000})
			must(t, err)
			a, err := s.Store.GetApplication(ctx, tc.app)
			must(t, err)
			log, _ := json.Marshal(all)
			if strings.Contains(string(log), a.OAuthConfiguration.ClientSecret) || strings.Contains(string(log), secret) {
				t.Fatal("a client secret is in the audit log")
			}
		})
	}
}
