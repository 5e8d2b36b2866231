package openapitest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCheckFindsDrift: the checker refuses an undocumented status, a body
// that breaks its schema, an answered path the description lacks, and a
// request body the server should not have accepted; it passes a conforming
// exchange and an unknown path answered 404.
func TestCheckFindsDrift(t *testing.T) {
	r, err := load()
	if err != nil {
		t.Fatal(err)
	}
	json := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		resBody                     string
		bad                         bool
	}{
		{"conforming status", "GET", "/api/status", "", 200, `{"status":"ok"}`, false},
		{"unknown path 404", "GET", "/nope", "", 404, "", false},
		{"undocumented status", "GET", "/api/status", "", 418, `{"status":"ok"}`, true},
		{"body breaks the schema", "GET", "/api/status", "", 200, `{"status":"fine"}`, true},
		{"errors with an unknown member", "POST", "/api/user", `{"user":{}}`, 400, `{"fieldErrors":{},"stack":"x"}`, true},
		{"answered path the description lacks", "GET", "/api/secret", "", 200, `{}`, true},
		{"accepted a request body of the wrong type", "POST", "/api/login", `{"loginId":1,"password":"p"}`, 200, `{"user":{}}`, true},
		{"accepted a conforming login", "POST", "/api/login", `{"loginId":"a","password":"p"}`, 200, `{"user":{"id":"x"}}`, false},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "http://latchkey.test"+c.path, strings.NewReader(c.reqBody))
		if c.reqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res := &http.Response{StatusCode: c.status, Header: json}
		if c.resBody == "" {
			res.Header = http.Header{}
		}
		problem := Check(r, req, []byte(c.reqBody), res, []byte(c.resBody))
		if (problem != "") != c.bad {
			t.Errorf("%s: problem %q, want a problem: %v", c.name, problem, c.bad)
		}
	}
}
