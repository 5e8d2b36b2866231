package server_test

import (
	"bytes"
	"testing"
)

// TestUnknownPathsAnswer404JSON: a path the route table does not serve is
// 404 with FusionAuth's error body, with or without a key; a path it serves
// with other methods is 405 with Allow, even where a wildcard row would
// match it (GET /api/user/forgot-password is not GET /api/user/{id}), never
// a misleading 400 [couldNotConvert] or 401, nor a 404 for a path that
// exists. Real wildcard rows keep their answers.
func TestUnknownPathsAnswer404JSON(t *testing.T) {
	s := newStack(t)
	for _, c := range []struct {
		method, path string
		want         int
		allow, code  string
	}{
		{"GET", "/api/nonexistent", 404, "", "[NotFound]"},
		{"POST", "/api/nonexistent", 404, "", "[NotFound]"},
		{"GET", "/api/user/forgot-password", 405, "POST", "[MethodNotAllowed]"},
		{"PUT", "/api/user/forgot-password", 405, "POST", "[MethodNotAllowed]"},
		{"DELETE", "/api/user/change-password", 405, "POST, GET", "[MethodNotAllowed]"},
		{"GET", "/api/user/import", 405, "POST", "[MethodNotAllowed]"},
		{"GET", "/api/user/bulk", 405, "DELETE", "[MethodNotAllowed]"},
		{"GET", "/api/user/comment", 405, "POST", "[MethodNotAllowed]"},
		{"PUT", "/api/user/comment/search", 405, "GET, POST", "[MethodNotAllowed]"},
		{"PUT", "/api/user/consent", 405, "POST, GET", "[MethodNotAllowed]"},
		{"DELETE", "/api/consent", 405, "POST, GET", "[MethodNotAllowed]"},
		{"GET", "/api/user/forgot-password/extra", 404, "", "[NotFound]"},
		{"PUT", "/api/entity/search", 405, "GET, POST", "[MethodNotAllowed]"},
		{"PUT", "/api/application/search", 405, "GET, POST", "[MethodNotAllowed]"},
		{"DELETE", "/api/identity-provider/search", 405, "GET, POST", "[MethodNotAllowed]"},
		{"PUT", "/api/email/template/search", 405, "GET, POST", "[MethodNotAllowed]"},
		{"PUT", "/api/identity-provider/link", 405, "POST, GET, DELETE", "[MethodNotAllowed]"},
		{"DELETE", "/api/identity-provider/test", 405, "POST, GET", "[MethodNotAllowed]"},
		// Literal paths no wildcard row shadows: the mux's catch-all took
		// these, and answered 404 "There is no API".
		{"PUT", "/api/user", 405, "POST, GET", "[MethodNotAllowed]"},
		{"OPTIONS", "/api/user", 405, "POST, GET", "[MethodNotAllowed]"},
		{"PUT", "/api/jwt/validate", 405, "GET", "[MethodNotAllowed]"},
		// FusionAuth paths latchkey does not serve that a wildcard row would
		// take (server.notServed): 404, not [couldNotConvert] or 401.
		{"POST", "/api/identity-provider/start", 404, "", "[NotFound]"},
		// Served now (families.go): the literal family paths are not user ids.
		{"PATCH", "/api/user/family/pending", 405, "GET", "[MethodNotAllowed]"},
		// A cookie-spending path's own 405 row answers the same body.
		{"GET", "/api/login", 405, "POST, PUT", "[MethodNotAllowed]"},
	} {
		for _, key := range []string{apiKey, ""} {
			res := s.api(c.method, c.path, nil, "Authorization", key)
			if res.status != c.want || res.header.Get("Allow") != c.allow || !bytes.Contains(res.body, []byte(c.code)) {
				t.Errorf("%s %s (key %v): %d Allow %q %s, want %d Allow %q %s", c.method, c.path, key != "",
					res.status, res.header.Get("Allow"), res.body, c.want, c.allow, c.code)
			}
		}
	}
	if res := s.api("GET", "/api/tenant/password-validation-rules", nil); res.status != 200 {
		t.Errorf("a real route: %d %s", res.status, res.body)
	}
	if res := s.api("GET", "/api/user/"+aliceID, nil); res.status != 200 {
		t.Errorf("a wildcard row with an id: %d", res.status)
	}
	if res := s.api("GET", "/api/user/not-a-uuid", nil); res.status != 400 || !bytes.Contains(res.body, []byte("[couldNotConvert]userId")) {
		t.Errorf("a malformed id where an id belongs: %d %s", res.status, res.body)
	}
}
