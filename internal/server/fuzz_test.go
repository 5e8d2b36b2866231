package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzLoginDecode feeds arbitrary bodies to the login decoder and
// validation: never a panic, never a 5xx, and a body that decodes is either
// refused with a FusionAuth error or carries both credentials.
func FuzzLoginDecode(f *testing.F) {
	for _, seed := range []string{
		`{"loginId":"a@b.c","password":"p","applicationId":"` + storeAppID + `"}`,
		`{"loginId":"a","loginId":"b"}`,
		`{"loginId":"a","LoginId":"b","password":"x"}`,
		`{"loginId":1}`, `[` + strings.Repeat("[", 1000), "\xff\xfe", `{"metaData":{"device":{"name":7}}}`,
		`{"loginId":"a","password":"b"} trailing`, ``,
	} {
		f.Add(seed)
	}
	s, _, _ := newUnitServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		var lr loginRequest
		if !s.decodeJSON(rec, req, &lr, false) {
			if rec.Code < 400 || rec.Code >= 500 {
				t.Fatalf("decode failure answered %d", rec.Code)
			}
			return
		}
		if e := lr.validate(); e.Empty() && (lr.LoginID == "" || lr.Password == "") {
			t.Fatalf("validation let a blank credential through: %+v", lr)
		}
	})
}

// FuzzRefreshCookie feeds arbitrary Cookie headers to the refresh-cookie
// parser: never a panic, and whatever it returns are distinct plausible
// tokens that really were values in the header.
func FuzzRefreshCookie(f *testing.F) {
	for _, seed := range []string{
		"refresh_token=abc", "refresh_token=a; refresh_token=b", `refresh_token="quoted"`,
		"refresh_token=" + strings.Repeat("x", 9000), "refresh_token_" + forumsAppID + "=s; refresh_token=p",
		"refresh_token=a\x00b", ";;;=;", "refresh_token",
	} {
		f.Add(seed, forumsAppID)
	}
	s := &Server{}
	f.Fuzz(func(t *testing.T, header, appID string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		got := s.refreshCookies(r, appID)
		for i, v := range got {
			if !plausibleToken(v) || !strings.Contains(header, v) || slices.Contains(got[:i], v) {
				t.Fatalf("returned %q from %q", got, header)
			}
		}
	})
}

// FuzzTokenBodies feeds arbitrary bodies to the decoders of the cookie and
// token endpoints: POST /api/jwt/refresh and DELETE /api/jwt/refresh (the
// shared strict decoder) and POST /api/logout (the same decoder, lenient by
// design). Never a panic or a 5xx; the strict decoder accepts only an empty
// body, null (no parameters) or one valid JSON object; logout refuses nothing under the size limit
// and takes parameters only from a body that is valid JSON.
func FuzzTokenBodies(f *testing.F) {
	for _, seed := range []string{
		`{"refreshToken":"abc","token":"x","applicationId":"` + storeAppID + `"}`,
		`{"refreshToken":"a","refreshToken":"b"}`, `{"refreshToken":"a","RefreshToken":"b"}`,
		`{"global":true,"refreshToken":"t"}`, `{"global":"yes"}`, `{"token":7,"userId":[]}`,
		`[` + strings.Repeat("[", 1000), "\xff\xfe", `{"a":1} trailing`, ``, `null`, `"s"`, `{`,
	} {
		f.Add(seed)
	}
	s, _, _ := newUnitServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		newReq := func() *http.Request {
			r := httptest.NewRequest("POST", "/api/jwt/refresh", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		for name, v := range map[string]any{"refresh": &refreshRequest{}, "revoke": &revokeRequest{}} {
			rec := httptest.NewRecorder()
			ok := s.decodeJSON(rec, newReq(), v, true)
			if !ok && (rec.Code < 400 || rec.Code >= 500) {
				t.Fatalf("%s: decode failure answered %d", name, rec.Code)
			}
			if ok && body != "" && (!jsontext.Value(body).IsValid() || jsontext.Value(body).Kind() != '{' && jsontext.Value(body).Kind() != 'n') {
				t.Fatalf("%s: accepted %q", name, body)
			}
		}
		rec := httptest.NewRecorder()
		req, ok := logoutParams(rec, newReq())
		if !ok {
			t.Fatalf("logout refused %q with %d", body, rec.Code)
		}
		if req != (logoutRequest{}) && !jsontext.Value(body).IsValid() {
			t.Fatalf("logout took %+v from invalid JSON %q", req, body)
		}
		if req.ApplicationID != "" && !validUUID(req.ApplicationID) {
			t.Fatalf("logout kept a malformed applicationId %q", req.ApplicationID)
		}
	})
}

// FuzzOAuthTokenForm feeds arbitrary form bodies and Authorization headers
// to POST /oauth2/token. The unit server's applications have no client
// secret, so no input may get past client authentication: every answer is an
// RFC 6749 §5.2 error (400, 401 or 413) with a JSON error member, never a
// panic (auth is not even wired) or a 5xx.
func FuzzOAuthTokenForm(f *testing.F) {
	for _, seed := range []struct{ body, authz string }{
		{"grant_type=password&username=a&password=b&client_id=" + storeAppID, ""},
		{"grant_type=refresh_token&refresh_token=x&client_id=" + storeAppID + "&client_secret=s", ""},
		{"grant_type=password&client_id=undefined", "Basic " + "Og=="},
		{"grant_type=%zz&client_id=%", ""}, {"a=1;b=2&&&=", "Bearer x"},
		{"grant_type=password&grant_type=refresh_token", "Basic !!!"},
		{strings.Repeat("a=b&", 1000), "Basic " + storeAppID},
	} {
		f.Add(seed.body, seed.authz)
	}
	s, _, _ := newUnitServer(f)
	f.Fuzz(func(t *testing.T, body, authz string) {
		req := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			req.Header["Authorization"] = []string{authz}
		}
		rec := httptest.NewRecorder()
		s.oauthToken(rec, req)
		if c := rec.Code; c != 400 && c != 401 && c != 413 {
			t.Fatalf("status %d for %q / %q: %s", c, body, authz, rec.Body)
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
	})
}
