package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
// parser: never a panic, and whatever it returns is a plausible token that
// really was a value in the header.
func FuzzRefreshCookie(f *testing.F) {
	for _, seed := range []string{
		"refresh_token=abc", "refresh_token=a; refresh_token=b", `refresh_token="quoted"`,
		"refresh_token=" + strings.Repeat("x", 9000), "refresh_token_" + forumsAppID + "=s; refresh_token=p",
		"refresh_token=a\x00b", ";;;=;", "refresh_token",
	} {
		f.Add(seed, forumsAppID)
	}
	f.Fuzz(func(t *testing.T, header, appID string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		got := refreshFromCookies(r, appID)
		if got == "" {
			return
		}
		if !plausibleToken(got) || !strings.Contains(header, got) {
			t.Fatalf("returned %q from %q", got, header)
		}
	})
}
