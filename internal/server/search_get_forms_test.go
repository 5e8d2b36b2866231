package server_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSearchGETFormsAnswerAsPOST: the GET forms of the application, email
// template, identity provider and user comment searches (FusionAuth's
// ...ByParameters) take the search's fields as query parameters and answer
// exactly what the POST form answers for the same fields.
func TestSearchGETFormsAnswerAsPOST(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	for _, name := range []string{"Zeta welcome", "Zeta reset", "Omega"} {
		s.apiOK("POST", "/api/email/template", map[string]any{"emailTemplate": map[string]any{"name": name,
			"defaultSubject": "Hi", "defaultHtmlTemplate": "<p>Hi</p>", "defaultTextTemplate": "Hi", "fromEmail": "hello@example.test"}})
	}
	s.withProvider("9b8c7d6e-0000-4000-8000-0000000000e3", "Corporate SSO", false)
	s.Clock.Advance(time.Second)
	s.withProvider("9b8c7d6e-0000-4000-8000-0000000000e2", "Upstream", true, forumsApp)
	for _, text := range []string{"first note", "second note", "unrelated"} {
		s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, text))
		s.Clock.Advance(time.Second)
	}
	for _, c := range []struct {
		path   string
		search map[string]any
		want   string // in the answer, so the case is not vacuous
	}{
		{"/api/application/search", map[string]any{"name": "STO", "state": "Active", "tenantId": tenantID, "orderBy": "name DESC"}, `"Store"`},
		{"/api/application/search", map[string]any{"orderBy": "name DESC", "startRow": 1, "numberOfResults": 1}, `"Forums"`},
		{"/api/email/template/search", map[string]any{"name": "zeta", "orderBy": "name DESC", "numberOfResults": 1}, `"Zeta welcome"`},
		{"/api/identity-provider/search", map[string]any{"applicationId": forumsApp, "type": "OpenIDConnect", "name": "up*"}, `"Upstream"`},
		{"/api/identity-provider/search", map[string]any{"orderBy": "insertInstant DESC", "startRow": 1}, `"Corporate SSO"`},
		{"/api/user/comment/search", map[string]any{"comment": "note", "userId": aliceID, "commenterId": moderatorID,
			"orderBy": "insertInstant ASC", "numberOfResults": 1}, `"first note"`},
	} {
		post := s.api("POST", c.path, map[string]any{"search": c.search})
		q := url.Values{}
		for k, v := range c.search {
			q.Set(k, fmt.Sprint(v))
		}
		get := s.api("GET", c.path+"?"+q.Encode(), nil)
		if post.status != 200 || get.status != 200 || !bytes.Equal(get.body, post.body) || !strings.Contains(string(get.body), c.want) {
			t.Errorf("GET %s?%s: %d %s\nPOST: %d %s\nwant both 200 with %s", c.path, q.Encode(), get.status, get.body, post.status, post.body, c.want)
		}
	}
	for _, path := range []string{"/api/application/search?numberOfResults=many", "/api/email/template/search?startRow=1.5",
		"/api/identity-provider/search?numberOfResults=-1", "/api/user/comment/search?startRow=x"} {
		res := s.api("GET", path, nil)
		if res.status != 400 || !strings.Contains(string(res.body), `"[invalid]`) {
			t.Errorf("GET %s: %d %s, want 400 [invalid]", path, res.status, res.body)
		}
	}
}

// TestSearchGETFormsKeepTheirRules: a GET search is refused as its POST
// form is: without the endpoint permission (401), and with a tenant-scoped
// key, another tenant's comments stay invisible and a global search 403s.
func TestSearchGETFormsKeepTheirRules(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.withModerator()
	s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, "own tenant"))
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/user/comment/search?tenantId=" + otherTenant, 200},
		{"/api/user/comment/search?userId=" + otherUserID, 200},
		{"/api/email/template/search", 403},
		{"/api/identity-provider/search", 403},
	} {
		res := s.api("GET", c.path, nil, "Authorization", scopedKey)
		if res.status != c.status {
			t.Errorf("scoped GET %s: %d %s, want %d", c.path, res.status, res.body, c.status)
		}
		if c.status == 200 && !strings.Contains(string(res.body), `"total":0`) {
			t.Errorf("scoped GET %s saw comments: %s", c.path, res.body)
		}
	}
	if res := s.api("GET", "/api/user/comment/search", nil, "Authorization", scopedKey); !strings.Contains(string(res.body), "own tenant") {
		t.Errorf("the scoped key does not see its tenant's comment: %s", res.body)
	}
	if res := s.api("GET", "/api/application/search", nil, "Authorization", ""); res.status != 401 {
		t.Errorf("no key: %d", res.status)
	}
}
