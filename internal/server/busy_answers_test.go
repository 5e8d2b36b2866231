package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// busyJSON is the hashing gate's 503 body on /api/* (limit.go writeBusy).
const busyJSON = `{"generalErrors":[{"code":"[TooManyRequests]","message":"Too many logins are being processed. Try again shortly."}]}` + "\n"

// serveBusy sends c through the server's handler while every hashing turn
// is held, and ends the request's context (its client goes away) once a
// hash waits for a turn. It fails the test if the request is answered
// without waiting for one.
func serveBusy(t *testing.T, s *stack, c call) *httptest.ResponseRecorder {
	t.Helper()
	held := password.HoldTurnsForTest()
	defer held.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, c.method, c.path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.Srv.Handler().ServeHTTP(rec, req); close(done) }()
	for held.Waiting() < 1 {
		select {
		case <-done:
			t.Fatalf("%s %s answered %d %s without waiting for a hashing turn", c.method, c.path, rec.Code, rec.Body)
		default:
			runtime.Gosched()
		}
	}
	cancel()
	<-done
	return rec
}

// TestRequestsWhoseTurnNeverCameAnswerBusy: a request whose password hash
// waits for a turn until its client goes away is answered as the hashing
// gate answers a busy server (503, Retry-After: 1, the endpoint's own
// error format), never a 500 or a validation error, and changes nothing:
// a login of alice and of an id naming nobody get byte-identical answers
// (no account oracle) and leave no refresh token; a user create and an
// import store no user; the password grant answers OAuth's
// temporarily_unavailable.
func TestRequestsWhoseTurnNeverCameAnswerBusy(t *testing.T) {
	s := newStack(t)
	login := func(id string) call {
		return call{method: "POST", path: "/api/login",
			body: `{"loginId":"` + id + `","password":"guess","applicationId":"` + storeApp + `"}`}
	}
	real, unknown := serveBusy(t, s, login(aliceEmail)), serveBusy(t, s, login("nobody@example.test"))
	for _, rec := range []*httptest.ResponseRecorder{real, unknown} {
		if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != busyJSON || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("busy login: %d %q Retry-After %q, want the gate's 503", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}
	hr, hu := stripVolatile(real.Header()), stripVolatile(unknown.Header())
	for k := range hr {
		if !slices.Equal(hr[k], hu[k]) {
			t.Fatalf("header %s differs: %q for alice, %q for nobody", k, hr[k], hu[k])
		}
	}
	if len(hr) != len(hu) {
		t.Fatalf("header sets differ: %v vs %v", hr, hu)
	}
	if toks, err := s.Store.ListRefreshTokens(context.Background(), aliceID); err != nil || len(toks) != 0 {
		t.Fatalf("refresh tokens after the busy login: %v, %v", toks, err)
	}

	grant := serveBusy(t, s, call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: "grant_type=password&client_id=" + storeApp + "&client_secret=" + secret + "&username=" + aliceEmail + "&password=guess"})
	if grant.Code != http.StatusServiceUnavailable || !strings.Contains(grant.Body.String(), `"error":"temporarily_unavailable"`) ||
		grant.Header().Get("Retry-After") != "1" {
		t.Fatalf("busy password grant: %d %s", grant.Code, grant.Body)
	}

	const carol = "carol@example.test"
	for _, c := range []call{
		{method: "POST", path: "/api/user", hdr: admin, body: `{"user":{"email":"` + carol + `","password":"Ribbon-anchor-velvet-88"}}`},
		{method: "POST", path: "/api/user/import", hdr: admin, body: `{"users":[{"email":"` + carol + `","password":"plain text password"}]}`},
	} {
		if rec := serveBusy(t, s, c); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != busyJSON {
			t.Fatalf("busy %s: %d %s, want the gate's 503", c.path, rec.Code, rec.Body)
		}
		if _, err := s.Store.FindUser(context.Background(), storage.UserFilter{TenantID: tenantID, Email: carol}); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after the busy %s: FindUser(carol) = %v, want ErrNotFound", c.path, err)
		}
	}
	// Nothing is stuck: with the turns back, the same requests work.
	if res := s.login(storeApp, nil); res.status != http.StatusOK {
		t.Fatalf("login after the busy ones: %d %s", res.status, res.body)
	}
}

// TestPagesAndChangesWhoseTurnNeverCameAnswerBusy: the hosted login page's
// form, the console's sign-in and an API-key password change whose hash
// waits for a turn until its client goes away answer the gate's 503 with
// Retry-After: 1 in their own format (an HTML page, the JSON body), never
// a 500 page; the change stores nothing (alice's password still works).
func TestPagesAndChangesWhoseTurnNeverCameAnswerBusy(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("busy")
	b := newBrowser(s)
	v := formFields(t, b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge).Encode()))
	v.Set("loginId", aliceEmail)
	v.Set("password", "guess")
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	var cookies []string
	for _, c := range b.hc.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": s.URL, "Sec-Fetch-Site": "same-origin"}
	hosted := serveBusy(t, s, call{method: "POST", path: "/oauth2/authorize", body: v.Encode(),
		hdr: map[string]string{"Content-Type": form["Content-Type"], "Origin": s.URL, "Sec-Fetch-Site": "same-origin", "Cookie": strings.Join(cookies, "; ")}})
	if _, err := s.Srv.Manage.Console.CreateAdmin(context.Background(), "deputy@example.test", "deputy console password"); err != nil {
		t.Fatal(err)
	}
	console := serveBusy(t, s, call{method: "POST", path: "/admin/login", hdr: form,
		body: url.Values{"loginId": {"deputy@example.test"}, "password": {"guess"}}.Encode()})
	for name, rec := range map[string]*httptest.ResponseRecorder{"hosted login": hosted, "console sign-in": console} {
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("busy %s: %d %q Retry-After %q; want a 503 page with Retry-After: 1", name, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Retry-After"))
		}
	}
	change := serveBusy(t, s, call{method: "POST", path: "/api/user/change-password", hdr: admin,
		body: `{"loginId":"` + aliceEmail + `","password":"Ribbon-anchor-velvet-88"}`})
	if change.Code != http.StatusServiceUnavailable || change.Body.String() != busyJSON || change.Header().Get("Retry-After") != "1" {
		t.Errorf("busy password change: %d %s, want the gate's 503", change.Code, change.Body)
	}
	if res := s.login(storeApp, nil); res.status != http.StatusOK {
		t.Fatalf("alice's password after the busy change: login %d %s", res.status, res.body)
	}
}

// TestLoginWhoseClientLeftWaitingForATurnIsNoRefusal: a login admitted by
// the gate whose hash waits for a turn until its client goes away is
// counted as abandoned, not as a busy refusal.
func TestLoginWhoseClientLeftWaitingForATurnIsNoRefusal(t *testing.T) {
	s := newStack(t)
	g := s.Srv.Gate
	if g == nil {
		t.Fatal("the stack's server has no gate")
	}
	refused, gone := g.Refused(), g.Abandoned()
	rec := serveBusy(t, s, call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"guess","applicationId":"` + storeApp + `"}`})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d %s, want the busy 503", rec.Code, rec.Body)
	}
	if g.Refused() != refused || g.Abandoned() != gone+1 {
		t.Fatalf("refused %d→%d, abandoned %d→%d: want the hang-up counted as abandoned only", refused, g.Refused(), gone, g.Abandoned())
	}
}
