package forums

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit/appkittest"
)

const (
	forumsApp = "5f1a2b3c-0000-4000-8000-00000000000f"
	storeApp  = "5f1a2b3c-0000-4000-8000-000000000001"
)

// setup runs the Forums behind a real jwtverify that trusts one key, and
// returns a function minting tokens with that key.
func setup(t *testing.T) (*httptest.Server, func(sub, aud string, exp time.Time) string) {
	t.Helper()
	trusted := appkittest.NewSigner(t, "k1")
	f, err := New(appkittest.Config(t, trusted, forumsApp))
	if err != nil {
		t.Fatal(err)
	}
	mint := func(sub, aud string, exp time.Time) string { return trusted.Token(t, sub, aud, exp) }
	return appkittest.Serve(t, f), mint
}

// do calls /api/posts.
func do(t *testing.T, srv *httptest.Server, method, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	return appkittest.Call(t, srv, method, "/api/posts", token, body)
}

// bodies lists the bodies of the token holder's posts, newest first.
func bodies(t *testing.T, srv *httptest.Server, token string) []string {
	t.Helper()
	return appkittest.List(t, srv, "/api/posts", token, "posts", "body")
}

func TestPosts(t *testing.T) {
	srv, mint := setup(t)
	soon := time.Now().Add(time.Minute)
	alice, bob := mint("alice", forumsApp, soon), mint("bob", forumsApp, soon)

	if got := bodies(t, srv, alice); len(got) != 1 || !strings.Contains(got[0], "Hello Forums") {
		t.Fatalf("first visit: posts %q, want the welcome post", got)
	}
	if status, _, p := do(t, srv, "POST", alice, `{"body":"  tokens are fun  "}`); status != http.StatusCreated || p["body"] != "tokens are fun" || p["author"] != "alice@example.com" {
		t.Fatalf("create: %d %v", status, p)
	}
	if got := bodies(t, srv, alice); len(got) != 2 || got[0] != "tokens are fun" {
		t.Errorf("alice's posts, newest first: %q", got)
	}
	if got := bodies(t, srv, bob); len(got) != 1 {
		t.Errorf("bob sees %q: posts are per user", got)
	}

	tests := []struct {
		name, token, body string
		want              int
	}{
		{"empty post", alice, `{"body":"   "}`, http.StatusBadRequest},
		{"too long", alice, `{"body":"` + strings.Repeat("x", maxPostRunes+1) + `"}`, http.StatusBadRequest},
		{"not JSON", alice, `body=hi`, http.StatusBadRequest},
		{"unknown field", alice, `{"body":"hi","author":"admin"}`, http.StatusBadRequest},
		{"no token", "", `{"body":"hi"}`, http.StatusUnauthorized},
		{"Store's token (other audience)", mint("alice", storeApp, soon), `{"body":"hi"}`, http.StatusUnauthorized},
		{"expired", mint("alice", forumsApp, time.Now().Add(-10*time.Minute)), `{"body":"hi"}`, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, m := do(t, srv, "POST", tt.token, tt.body)
			if status != tt.want || m == nil {
				t.Errorf("status %d body %v, want %d with a JSON body", status, m, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", hdr.Get("WWW-Authenticate"))
			}
		})
	}
	if got := bodies(t, srv, alice); len(got) != 2 {
		t.Errorf("refused posts were stored: %q", got)
	}
}
