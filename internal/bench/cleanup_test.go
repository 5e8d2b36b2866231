package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// interpose starts a proxy in front of a real server and returns its URL.
// handle sees each request first and returns false to have it forwarded
// unchanged; to answer it itself it may deliver a request to the server
// with send (a clone of r with body as its body), which returns the
// server's status after reading its answer.
func interpose(t *testing.T, server string, handle func(w http.ResponseWriter, r *http.Request, send func(r *http.Request, body []byte) int) bool) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	send := func(r *http.Request, body []byte) int {
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.URL.Scheme, req.URL.Host, req.RequestURI = u.Scheme, u.Host, ""
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Errorf("send %s to the server: %v", r.URL.Path, err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !handle(w, r, send) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// answerOnce is a proxy in front of a real server: the first POST whose
// path starts with prefix is handled by first (which may forward it to
// the server itself); every other request is forwarded unchanged.
func answerOnce(t *testing.T, server, prefix string, first func(w http.ResponseWriter, r *http.Request, forward func() int)) string {
	t.Helper()
	var done atomic.Bool
	return interpose(t, server, func(w http.ResponseWriter, r *http.Request, send func(*http.Request, []byte) int) bool {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !done.CompareAndSwap(false, true) {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		first(w, r, func() int { return send(r, body) })
		return true
	})
}

// TestCleanupDeletesWhatUnansweredCreationsMade: a user or an application
// whose creation the server committed but whose answer the bench never
// got, or got as a failure, is deleted after the run all the same (users
// are found by the run's login id, the application by the id the bench
// chose); a busy answer to a creation that had committed is sent again and
// its duplicate found, so the run goes on; a creation that never reached
// the server is neither counted nor a cleanup error, only a note.
func TestCleanupDeletesWhatUnansweredCreationsMade(t *testing.T) {
	committedThen := func(answer func(w http.ResponseWriter)) func(w http.ResponseWriter, r *http.Request, forward func() int) {
		return func(w http.ResponseWriter, r *http.Request, forward func() int) {
			if status := forward(); status != http.StatusOK {
				t.Errorf("the server answered %s %d, want 200 (the test needs it created)", r.URL.Path, status)
			}
			answer(w)
		}
	}
	busy := func(w http.ResponseWriter) { // what a proxy, or a server whose deadline passed after its commit, may say
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"generalErrors":[{"code":"[ServiceUnavailable]"}]}`, http.StatusServiceUnavailable)
	}
	dropped := func(w http.ResponseWriter) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
	neverSent := func(w http.ResponseWriter, _ *http.Request, _ func() int) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}
	refused := func(status int) func(w http.ResponseWriter, _ *http.Request, _ func() int) {
		return func(w http.ResponseWriter, _ *http.Request, _ func() int) {
			http.Error(w, `{"generalErrors":[{"code":"[refused]"}]}`, status)
		}
	}
	shortRecheck(t)
	for _, tc := range []struct {
		name, prefix string
		first        func(w http.ResponseWriter, r *http.Request, forward func() int)
		runErr       string // what ends the run; "" for a run that completes
		users        int    // created, as the report counts them
		app          bool   // the application was created
		note         string // in the cleanup's notes
	}{
		{"user committed, answered 503 with Retry-After", "/api/user/registration", committedThen(busy), "", 1, true, ""},
		{"user committed, connection dropped", "/api/user/registration", committedThen(dropped), "EOF", 1, true, ""},
		{"user never created, answered 502", "/api/user/registration", neverSent, "502", 0, true, "1 user creation was not confirmed"},
		{"application committed, connection dropped", "/api/application", committedThen(dropped), "EOF", 0, true, ""},
		{"application never created, answered 502", "/api/application", neverSent, "502", 0, false, "the application's creation was not confirmed"},
		// A refusal creates nothing: no lookup, no note, no cleanup error.
		{"user refused, answered 400", "/api/user/registration", refused(http.StatusBadRequest), "400", 0, true, ""},
		{"application refused, answered 401", "/api/application", refused(http.StatusUnauthorized), "401", 0, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := startServer(t)
			o := opts(in, OpLogin, 1, 2)
			o.URL = answerOnce(t, in.URL, tc.prefix, tc.first)
			rep, err := Run(context.Background(), o)
			switch {
			case tc.runErr == "" && err != nil:
				t.Fatalf("the run failed: %v", err)
			case tc.runErr != "" && (err == nil || !strings.Contains(err.Error(), tc.runErr)):
				t.Fatalf("the run ended with %v, want an error saying %q", err, tc.runErr)
			}
			if rep.UsersCreated != tc.users || rep.Cleanup.UsersDeleted != tc.users || len(rep.Cleanup.Errors) > 0 {
				t.Errorf("report: %d users created, cleanup %+v; want %d created and deleted, no errors", rep.UsersCreated, rep.Cleanup, tc.users)
			}
			if tc.app != (rep.ApplicationCreated != "") || rep.Cleanup.ApplicationDeleted != tc.app {
				t.Errorf("report: application %q, deleted %v; want created and deleted %v", rep.ApplicationCreated, rep.Cleanup.ApplicationDeleted, tc.app)
			}
			notes := strings.Join(rep.Cleanup.Notes, "; ")
			if (tc.note == "") != (notes == "") || !strings.Contains(notes, tc.note) {
				t.Errorf("cleanup notes %q, want %q", notes, tc.note)
			}
			if tc.runErr == "" && rep.OK != 2 {
				t.Errorf("%d of %d logins ok", rep.OK, rep.Requests)
			}
			// Nothing the run made is left: no user with the run's login id,
			// no application named after the run.
			if resp, _ := in.Do(t, http.MethodGet, "/api/user?email="+url.QueryEscape(UserLoginID(rep.RunID, 0)), nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("user %s still there after cleanup: %d", UserLoginID(rep.RunID, 0), resp.StatusCode)
			}
			_, body := in.Do(t, http.MethodGet, "/api/application", nil)
			if strings.Contains(string(body), rep.RunID) {
				t.Errorf("an application of run %s is still there after cleanup", rep.RunID)
			}
		})
	}
}

// shortRecheck shortens cleanup's wait before its second look for the
// duration of t.
func shortRecheck(t *testing.T) {
	old := recheckAfter
	recheckAfter = 50 * time.Millisecond
	t.Cleanup(func() { recheckAfter = old })
}

// TestCleanupLooksAgainForACreationStillUnderWay: a user's creation that
// the server commits only after cleanup's first look (a server still
// hashing a request the bench gave up on) is found by the second look and
// deleted. The proxy answers the creation 502, and sends it to the server
// when cleanup first looks for the user, answering that look 404.
func TestCleanupLooksAgainForACreationStillUnderWay(t *testing.T) {
	shortRecheck(t)
	in := startServer(t)
	var held *http.Request // the creation, not yet sent
	var heldBody []byte
	var mu sync.Mutex
	proxyURL := interpose(t, in.URL, func(w http.ResponseWriter, r *http.Request, send func(*http.Request, []byte) int) bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/user/registration" && held == nil:
			held = r
			heldBody, _ = io.ReadAll(r.Body)
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case r.Method == http.MethodGet && r.URL.Path == "/api/user" && heldBody != nil:
			if status := send(held, heldBody); status != http.StatusOK {
				t.Errorf("the held creation was answered %d", status)
			}
			heldBody = nil // sent: the next look goes to the server
			http.Error(w, `{}`, http.StatusNotFound)
		default:
			return false
		}
		return true
	})
	o := opts(in, OpLogin, 1, 2)
	o.URL = proxyURL
	rep, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("the run ended with %v, want the creation's 502", err)
	}
	if rep.UsersCreated != 1 || rep.Cleanup.UsersDeleted != 1 || len(rep.Cleanup.Errors) > 0 || len(rep.Cleanup.Notes) > 0 {
		t.Fatalf("report: %d users created, cleanup %+v; want the user found by the second look and deleted", rep.UsersCreated, rep.Cleanup)
	}
	if resp, _ := in.Do(t, http.MethodGet, "/api/user?email="+url.QueryEscape(UserLoginID(rep.RunID, 0)), nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("user %s still there after cleanup: %d", UserLoginID(rep.RunID, 0), resp.StatusCode)
	}
}
