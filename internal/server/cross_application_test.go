package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestCrossApplicationRefreshAndLogout is security-bar.md R8: a
// page of Store (store.example.test) names Forums in the body while the
// browser sends Forums' scoped cookie along. Refresh must answer the 404 of
// any dead token and consume nothing; logout must leave Forums' session
// alone. The stored token did not move, and Forums' own page still refreshes
// the same value once the grace period of a rotated-out value is over.
func TestCrossApplicationRefreshAndLogout(t *testing.T) {
	s := newStack(t)
	must(t, s.Store.CreateRegistration(context.Background(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c2",
		ApplicationID: forumsApp, UserID: aliceID, Roles: []string{"user"}}))
	forumsCookie := "refresh_token_" + forumsApp
	live := func(rt string) bool {
		_, err := s.Srv.Auth.FindRefreshToken(context.Background(), rt)
		return err == nil
	}
	// Each case logs in to Forums from Forums' origin, so every attack has a
	// fresh, live victim token.
	loginForums := func(t *testing.T) string {
		t.Helper()
		res := s.login(forumsApp, map[string]string{"Origin": forumsSite})
		rt := cookieValue(res, forumsCookie)
		if res.status != 200 || rt == "" {
			t.Fatalf("login to forums: %d %s", res.status, res.body)
		}
		return rt
	}
	named := `{"applicationId":"` + forumsApp + `"}`
	tests := []struct {
		name string
		c    func(rt string) call
		want int
	}{
		{"refresh from store naming forums", func(rt string) call {
			return refreshCall(forumsCookie+"="+rt, named, storeSite)
		}, 404},
		{"refresh from store, forums token in body", func(rt string) call {
			return refreshCall("", `{"refreshToken":"`+rt+`"}`, storeSite)
		}, 404},
		{"refresh from store naming forums, forums token in body", func(rt string) call {
			return refreshCall("", `{"applicationId":"`+forumsApp+`","refreshToken":"`+rt+`"}`, storeSite)
		}, 404},
		{"logout from store naming forums", func(rt string) call {
			return call{method: "POST", path: "/api/logout", body: named,
				hdr: map[string]string{"Cookie": forumsCookie + "=" + rt, "Origin": storeSite}}
		}, 200},
		{"global logout from store naming forums (query form)", func(rt string) call {
			return call{method: "POST", path: "/api/logout?global=true&applicationId=" + forumsApp,
				hdr: map[string]string{"Content-Type": "text/plain", "Cookie": forumsCookie + "=" + rt, "Origin": storeSite}}
		}, 200},
		{"logout from store, forums token in body", func(rt string) call {
			return call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`,
				hdr: map[string]string{"Origin": storeSite}}
		}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := loginForums(t)
			before := refreshRecord(t, s, rt)
			res := s.do(tc.c(rt))
			if res.status != tc.want {
				t.Fatalf("status %d, want %d: %s", res.status, tc.want, res.body)
			}
			if tc.want == 404 {
				if got := res.json(t); got["fieldErrors"] == nil {
					t.Fatalf("not the bad-token 404: %s", res.body)
				}
			}
			for _, c := range res.header.Values("Set-Cookie") {
				if strings.HasPrefix(c, forumsCookie+"=") {
					t.Fatalf("Forums' cookie touched from Store's origin: %q", c)
				}
			}
			if !live(rt) {
				t.Fatal("Forums' session was ended or consumed from Store's origin")
			}
			requireUntouched(t, s, before)
			// Forums' own page: the very same token still refreshes.
			requireRefreshesPastGrace(t, s, refreshCall(forumsCookie+"="+rt, "{}", forumsSite))
		})
	}
	t.Run("global logout from store spares forums", func(t *testing.T) {
		rt := loginForums(t)
		store := s.login(storeApp, map[string]string{"Origin": storeSite})
		srt := cookieValue(store, "refresh_token")
		res := s.do(call{method: "POST", path: "/api/logout", body: `{"global":true}`,
			hdr: map[string]string{"Cookie": "refresh_token=" + srt + "; " + forumsCookie + "=" + rt, "Origin": storeSite}})
		if res.status != 200 || live(srt) {
			t.Fatalf("store's own session not ended: %d live %v", res.status, live(srt))
		}
		if !live(rt) {
			t.Fatal("a global logout from Store's page ended Forums' session")
		}
	})
}
