package bench

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// session is one client's state: its user and the tokens it holds now.
// Only one request at a time uses a session, so rotation is followed the
// way a browser follows it: each refresh presents the latest value.
type session struct {
	cred Credential
	// access is the current access token; refresh the current refresh
	// token value, and cookie the name of the cookie it arrived in
	// (refresh_token, or a per-application name some servers use).
	access, refresh, cookie string
	// unsure says the last refresh got no answer the session could use (a
	// timeout, a dropped connection, the run interrupted, a 200 whose body
	// did not decode, a 5xx, which a server may answer after its commit):
	// the server may have rotated the value without the session hearing
	// the new one, so the value it holds may be a used one. refused says
	// the server refused the value (a 4xx other than 429: revoked,
	// expired, reused), so it will not refresh again.
	unsure, refused bool
}

// settle records what a refresh's answer says about the value the session
// holds (see unsure and refused); a 429 says nothing about it.
func (s *session) settle(o outcome) {
	switch {
	case o.ok():
		s.unsure, s.refused = false, false
	case o.status == 0, o.status == http.StatusOK, o.status >= 500:
		s.unsure = true
	case o.status == http.StatusTooManyRequests:
	default:
		s.refused = true
	}
}

// target is what the load operations need to know about the server.
type target struct {
	*api
	appID, clientSecret string
}

// loginResponse holds the fields of FusionAuth's LoginResponse and
// JWTRefreshResponse the run uses (fusionauth-api.md §1.4, §2.1).
type loginResponse struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
}

// tokenResponse holds the fields of an OAuth token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// login is POST /api/login with the application id, as an SPA's native
// login form sends it; on success the session holds the new tokens.
func (t *target) login(ctx context.Context, s *session) outcome {
	in := map[string]string{"loginId": s.cred.LoginID, "password": s.cred.Password}
	if t.appID != "" {
		in["applicationId"] = t.appID
	}
	body, hdr := jsonBody(in)
	var out loginResponse
	o, h := t.do(ctx, http.MethodPost, "/api/login", body, hdr, &out)
	if o.ok() {
		s.access, s.refresh = out.Token, out.RefreshToken
		if name, v := refreshCookie(h); name != "" {
			s.cookie, s.refresh = name, v
		}
	}
	return o
}

// refreshCookie finds the refresh cookie among Set-Cookie headers. Only
// the lines whose name starts like a refresh cookie are parsed: the
// access_token cookie beside it holds a whole JWT, and parsing it on every
// refresh was load-generator CPU taken from the server it shares the
// machine with.
func refreshCookie(h http.Header) (name, value string) {
	for _, line := range h["Set-Cookie"] {
		if !strings.HasPrefix(strings.TrimLeft(line, " \t"), "refresh_token") {
			continue
		}
		c, err := http.ParseSetCookie(line)
		if err == nil && (c.Name == "refresh_token" || strings.HasPrefix(c.Name, "refresh_token_")) {
			return c.Name, c.Value
		}
	}
	return "", ""
}

// refreshCookieOp is POST /api/jwt/refresh carrying only the refresh cookie,
// as a browser does (fusionauth-api.md §2.1). rotated reports a new value.
func (t *target) refreshCookieOp(ctx context.Context, s *session) (o outcome, rotated bool) {
	name := s.cookie
	if name == "" {
		name = "refresh_token"
	}
	var body io.Reader = strings.NewReader("{}")
	hdr := http.Header{"Content-Type": {"application/json"}}
	if name != "refresh_token" && t.appID != "" {
		// A per-application cookie: say which.
		body, hdr = jsonBody(map[string]string{"applicationId": t.appID})
	}
	hdr.Set("Cookie", (&http.Cookie{Name: name, Value: s.refresh}).String())
	var out loginResponse
	o, h := t.do(ctx, http.MethodPost, "/api/jwt/refresh", body, hdr, &out)
	s.settle(o)
	if !o.ok() {
		return o, false
	}
	next := out.RefreshToken
	if n, v := refreshCookie(h); n != "" {
		next = v
	}
	s.access = out.Token
	return o, s.rotate(next)
}

// rotate takes next as the session's refresh token if it is a new value; a
// Reusable token is answered with the same value or none.
func (s *session) rotate(next string) bool {
	if next == "" || next == s.refresh {
		return false
	}
	s.refresh = next
	return true
}

// refreshOAuth is the refresh_token grant at /oauth2/token with the client
// id and secret in the form (RFC 6749 §6, fusionauth-api.md §4.3).
func (t *target) refreshOAuth(ctx context.Context, s *session) (o outcome, rotated bool) {
	body, hdr := formBody(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.refresh},
		"client_id": {t.appID}, "client_secret": {t.clientSecret}})
	var out tokenResponse
	o, _ = t.do(ctx, http.MethodPost, "/oauth2/token", body, hdr, &out)
	s.settle(o)
	if !o.ok() {
		return o, false
	}
	s.access = out.AccessToken
	return o, s.rotate(out.RefreshToken)
}

// passwordGrant opens a session with the OAuth password grant and
// offline_access, so its refresh token belongs to the OAuth client
// (fusionauth-api.md §4.2).
func (t *target) passwordGrant(ctx context.Context, s *session) outcome {
	body, hdr := formBody(url.Values{"grant_type": {"password"}, "username": {s.cred.LoginID},
		"password": {s.cred.Password}, "scope": {"offline_access"},
		"client_id": {t.appID}, "client_secret": {t.clientSecret}})
	var out tokenResponse
	o, _ := t.do(ctx, http.MethodPost, "/oauth2/token", body, hdr, &out)
	if o.ok() {
		s.access, s.refresh = out.AccessToken, out.RefreshToken
	}
	return o
}

// validate is GET /api/jwt/validate with the access token as a Bearer
// token (fusionauth-api.md §2.2).
func (t *target) validate(ctx context.Context, s *session) outcome {
	o, _ := t.do(ctx, http.MethodGet, "/api/jwt/validate", nil, http.Header{"Authorization": {"Bearer " + s.access}}, nil)
	return o
}

// run performs op on s.
func (t *target) run(ctx context.Context, op string, s *session) (outcome, bool) {
	switch op {
	case OpLogin:
		return t.login(ctx, s), false
	case OpRefreshCookie:
		return t.refreshCookieOp(ctx, s)
	case OpRefreshOAuth:
		return t.refreshOAuth(ctx, s)
	default:
		return t.validate(ctx, s), false
	}
}
