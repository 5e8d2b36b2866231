package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// api sends FusionAuth-format requests to one server (fusionauth-api.md
// §1, §2, §4, §7). Every method reads and closes the body, so connections
// are reused.
type api struct {
	base     string
	http     *http.Client
	apiKey   string
	tenantID string
	// busyWait, when positive, is how long do keeps sending a request
	// again that the server answered 503 or 429 with a Retry-After:
	// setup's requests (forSetup), never the measured load's, whose
	// refusals are counted.
	busyWait time.Duration
	// busy counts the busy answers do waited out (shared by the copies
	// forSetup makes).
	busy *atomic.Int64
}

// forSetup returns a copy of a for the requests that prepare a run
// (creating the application and the users, the refresh runs' first
// logins): each may take timeout, at least the run's own per-request
// timeout, and a busy answer is sent again after its Retry-After for up to
// busyWait. Each such request hashes a password on the server, and a server
// just started hashes its first memory-hard ones slowly (setupTimeout).
func (a *api) forSetup(timeout, busyWait time.Duration) *api {
	b := *a
	if b.busy == nil {
		b.busy = new(atomic.Int64)
	}
	if timeout > a.http.Timeout {
		b.http = &http.Client{Timeout: timeout, Transport: a.http.Transport}
	}
	b.busyWait = busyWait
	return &b
}

// maxBody bounds what is read of a response: tokens and small JSON objects.
const maxBody = 1 << 20

// outcome is one request's result: the HTTP status (0 when no response
// came) and the transport error, if any.
type outcome struct {
	status int
	err    error
}

// ok reports a 200, the only success the load operations count: FusionAuth's
// 202/203/212/213/242 for a login mean the run is misconfigured.
func (o outcome) ok() bool { return o.err == nil && o.status == http.StatusOK }

// do sends a request and decodes a 200 JSON body into out (when not nil).
// With busyWait set, a 503 or 429 answer with a Retry-After the server
// gives (RFC 9110 §10.2.3: seconds or a date) is sent again after that
// delay, until a delay would end past busyWait from the first send or ctx
// ends; the last answer is returned.
func (a *api) do(ctx context.Context, method, path string, body io.Reader, hdr http.Header, out any) (outcome, http.Header) {
	if a.busyWait <= 0 {
		return a.send(ctx, method, path, body, hdr, out)
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = io.ReadAll(body); err != nil { // always an in-memory reader
			return outcome{err: err}, nil
		}
	}
	giveUp := time.Now().Add(a.busyWait)
	for {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(b)
		}
		o, h := a.send(ctx, method, path, r, hdr, out)
		wait, busy := retryAfter(o, h, time.Now())
		if !busy || time.Now().Add(max(wait, time.Second)).After(giveUp) {
			return o, h
		}
		if a.busy != nil {
			a.busy.Add(1)
		}
		// At least a second between two sends: a Retry-After of 0 or a
		// past date (not latchkey's, perhaps a proxy's) must not turn
		// into a tight loop.
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return outcome{err: ctx.Err()}, nil
		case <-t.C:
		}
	}
}

// retryAfter is the delay a 503 (busy) or 429 (rate limited) answer asks
// for in its Retry-After header, as seconds or an HTTP date; busy is false
// for any other answer, and for one without a Retry-After it can read.
func retryAfter(o outcome, h http.Header, now time.Time) (wait time.Duration, busy bool) {
	if o.status != http.StatusServiceUnavailable && o.status != http.StatusTooManyRequests {
		return 0, false
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 31); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// send is one request of do.
func (a *api) send(ctx context.Context, method, path string, body io.Reader, hdr http.Header, out any) (outcome, http.Header) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return outcome{err: err}, nil
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return outcome{err: err}, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return outcome{status: resp.StatusCode, err: err}, resp.Header
	}
	o := outcome{status: resp.StatusCode}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			o.err = fmt.Errorf("%s %s: response is not the expected JSON: %w", method, path, err)
		}
	} else if resp.StatusCode >= 300 {
		o.err = &statusError{method, path, resp.StatusCode, strings.TrimSpace(string(b[:min(len(b), 300)]))}
	}
	return o, resp.Header
}

// errNotFound matches an answer 404, errDuplicateEmail a 400 whose body
// names the error code [duplicate]user.email (errors.Is).
var (
	errNotFound       = errors.New("not found")
	errDuplicateEmail = errors.New("duplicate email")
)

// statusError is an answer of 300 or more, with the start of its body.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.body)
}

func (e *statusError) Is(target error) bool {
	switch target {
	case errNotFound:
		return e.status == http.StatusNotFound
	case errDuplicateEmail:
		return e.status == http.StatusBadRequest && strings.Contains(e.body, `"[duplicate]user.email"`)
	}
	return false
}

// maybeDone reports whether a creation that ended with err may have been
// committed all the same: no answer (a timeout, a dropped connection), a
// server error (5xx), or a timeout or rate limit answer (408, 429). A
// refusal (400, 401, 403, 404, ...) means the server did not create it.
func maybeDone(err error) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return err != nil
	}
	return se.status >= 500 || se.status == http.StatusRequestTimeout || se.status == http.StatusTooManyRequests
}

func jsonBody(v any) (io.Reader, http.Header) {
	b, _ := json.Marshal(v) // only maps and structs of strings and bools
	return bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}}
}

func formBody(v url.Values) (io.Reader, http.Header) {
	return strings.NewReader(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
}

// manage sends a management request with the API key (fusionauth-api.md
// §0.4: the raw key, no scheme) and the tenant header when one is set.
func (a *api) manage(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	hdr := http.Header{"Authorization": {a.apiKey}}
	if in != nil {
		var h http.Header
		body, h = jsonBody(in)
		hdr["Content-Type"] = h["Content-Type"]
	}
	if a.tenantID != "" {
		hdr["X-Fusionauth-Tenantid"] = []string{a.tenantID}
	}
	o, _ := a.do(ctx, method, path, body, hdr, out)
	if o.err != nil {
		return o.err
	}
	if o.status != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, path, o.status)
	}
	return nil
}

// application is what the run needs of an application.
type application struct {
	ID    string `json:"id"`
	OAuth struct {
		ClientSecret string `json:"clientSecret"`
	} `json:"oauthConfiguration"`
}

// createApplication creates the run's application: anonymous login (an SPA
// calls /api/login without an API key), refresh tokens for the login API
// and the OAuth grants, one-time-use rotation (what the browser workflow
// recommends), and a client secret for the OAuth refresh grant.
//
// Tokens outlive the run (an hour, or the run's length and ten minutes),
// so a long validate run does not turn into a run of 401s.
func (a *api) createApplication(ctx context.Context, id, name string, run time.Duration) (application, error) {
	ttl := max(time.Hour, run+10*time.Minute)
	in := map[string]any{"application": map[string]any{
		"name": name,
		"loginConfiguration": map[string]any{
			"allowTokenRefresh": true, "generateRefreshTokens": true, "requireAuthentication": false},
		"jwtConfiguration": map[string]any{
			"enabled": true, "timeToLiveInSeconds": int(ttl.Seconds()), "refreshTokenTimeToLiveInMinutes": int(ttl.Minutes()),
			"refreshTokenUsagePolicy": "OneTimeUse"},
		"oauthConfiguration": map[string]any{
			"enabledGrants": []string{"password", "refresh_token"}, "generateRefreshTokens": true,
			"clientAuthenticationPolicy": "Required"},
	}}
	var out struct{ Application application }
	err := a.manage(ctx, http.MethodPost, "/api/application/"+url.PathEscape(id), in, &out)
	if err == nil && out.Application.ID == "" {
		err = fmt.Errorf("POST /api/application/%s: no application id in the response", id)
	}
	return out.Application, err
}

// clientSecret reads an existing application's OAuth client secret, which
// FusionAuth returns to an API key (fusionauth-api.md §7.3).
func (a *api) clientSecret(ctx context.Context, appID string) (string, error) {
	var out struct {
		OAuthConfiguration struct {
			ClientSecret string `json:"clientSecret"`
		} `json:"oauthConfiguration"`
	}
	err := a.manage(ctx, http.MethodGet, "/api/application/"+url.PathEscape(appID)+"/oauth-configuration", nil, &out)
	return out.OAuthConfiguration.ClientSecret, err
}

// createUser creates a user registered to appID in one call (POST
// /api/user/registration, fusionauth-api.md §7.2) and returns its id.
func (a *api) createUser(ctx context.Context, c Credential, appID string) (string, error) {
	in := map[string]any{
		"user":                         map[string]any{"email": c.LoginID, "password": c.Password},
		"registration":                 map[string]any{"applicationId": appID},
		"sendSetPasswordEmail":         false,
		"skipVerification":             true,
		"skipRegistrationVerification": true,
	}
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	err := a.manage(ctx, http.MethodPost, "/api/user/registration", in, &out)
	if err == nil && out.User.ID == "" {
		err = errors.New("POST /api/user/registration: no user id in the response")
	}
	return out.User.ID, err
}

// findUserID returns the id of the user whose email is email (GET
// /api/user?email=), or errNotFound.
func (a *api) findUserID(ctx context.Context, email string) (string, error) {
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	err := a.manage(ctx, http.MethodGet, "/api/user?email="+url.QueryEscape(email), nil, &out)
	if err == nil && out.User.ID == "" {
		err = fmt.Errorf("GET /api/user?email=%s: no user id in the response", email)
	}
	return out.User.ID, err
}

// deleteUser removes a user for good (hardDelete, fusionauth-api.md §7.1),
// with its registrations and refresh tokens.
func (a *api) deleteUser(ctx context.Context, id string) error {
	return a.manage(ctx, http.MethodDelete, "/api/user/"+url.PathEscape(id)+"?hardDelete=true", nil, nil)
}

func (a *api) deleteApplication(ctx context.Context, id string) error {
	return a.manage(ctx, http.MethodDelete, "/api/application/"+url.PathEscape(id)+"?hardDelete=true", nil, nil)
}
