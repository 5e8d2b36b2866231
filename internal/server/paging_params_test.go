package server_test

import (
	"encoding/json"
	"testing"
)

// badParam is one request whose paging, boolean or id parameter is not
// one: want is the field FusionAuth's 400 names, with its code.
type badParam struct {
	name, method, path string
	body               any
	want               string // "[code]field"
}

// wantRefusedField wants res to be 400 with want ("[code]field") among
// its field errors.
func wantRefusedField(t *testing.T, res result, want string) {
	t.Helper()
	if res.status != 400 {
		t.Fatalf("status %d, want 400 %s: %s", res.status, want, res.body)
	}
	var body struct {
		FieldErrors map[string][]struct{ Code string } `json:"fieldErrors"`
	}
	must(t, json.Unmarshal(res.body, &body))
	for _, errs := range body.FieldErrors {
		for _, e := range errs {
			if e.Code == want {
				return
			}
		}
	}
	t.Fatalf("no %s among the field errors: %s", want, res.body)
}

// searchBody is a {"search":{...}} request with v under key.
func searchBody(kv ...any) map[string]any {
	s := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		s[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"search": s}
}

// TestEverySearchRefusesBadPagingAndFilters: every search and listing
// pages and filters by the one rule the user search always had: a
// negative startRow or numberOfResults (offset, limit) is [invalid]<field>,
// a number that is not one [invalid]<field>, an id filter that is not a
// UUID and a boolean that is neither true nor false [couldNotConvert]<field>.
// Lambda, webhook, group and entity searches, webhook deliveries,
// recent-login's userId and the boolean flags used to ignore such values
// (lambda search answered everything, active=maybe listed nothing,
// hardDelete=yes soft-deleted). One good request of each endpoint still
// answers 200, and the refused hard delete changed nothing.
func TestEverySearchRefusesBadPagingAndFilters(t *testing.T) {
	s := newStack(t)
	const bad = "not-a-uuid"
	var cases []badParam
	// The POST searches: {"search":{...}} with the page in the body.
	for _, path := range []string{"/api/user/search", "/api/system/audit-log/search", "/api/system/login-record/search",
		"/api/system/webhook-event-log/search", "/api/lambda/search", "/api/webhook/search", "/api/group/search",
		"/api/entity/search", "/api/group/member/search", "/api/user/comment/search", "/api/system/event-log/search", "/api/consent/search"} {
		base := []any{"queryString", "*"}
		if path == "/api/group/member/search" {
			base = []any{"userId", aliceID}
		}
		cases = append(cases,
			badParam{"negative startRow", "POST", path, searchBody(append(base, "startRow", -1)...), "[invalid]search.startRow"},
			badParam{"negative numberOfResults", "POST", path, searchBody(append(base, "numberOfResults", -1)...), "[invalid]search.numberOfResults"},
			badParam{"numberOfResults not a number", "POST", path, searchBody(append(base, "numberOfResults", "x")...), "[invalid]search.numberOfResults"})
	}
	// The GET searches: the page in the query.
	for _, path := range []string{"/api/user/search?queryString=*&", "/api/system/audit-log/search?", "/api/system/login-record/search?",
		"/api/system/webhook-event-log/search?", "/api/system/event-log/search?", "/api/webhook/search?", "/api/entity/search?", "/api/group/member/search?userId=" + aliceID + "&", "/api/consent/search?"} {
		cases = append(cases,
			badParam{"negative startRow", "GET", path + "startRow=-1", nil, "[invalid]search.startRow"},
			badParam{"negative numberOfResults", "GET", path + "numberOfResults=-1", nil, "[invalid]search.numberOfResults"},
			badParam{"numberOfResults not a number", "GET", path + "numberOfResults=abc", nil, "[invalid]numberOfResults"})
	}
	cases = append(cases,
		badParam{"negative numberOfResults", "GET", "/api/webhook/delivery?numberOfResults=-1", nil, "[invalid]numberOfResults"},
		badParam{"numberOfResults not a number", "GET", "/api/webhook/delivery?numberOfResults=abc", nil, "[invalid]numberOfResults"},
		badParam{"negative offset", "GET", "/api/user/recent-login?offset=-1", nil, "[invalid]offset"},
		badParam{"negative limit", "GET", "/api/user/recent-login?limit=-1", nil, "[invalid]limit"},
		badParam{"limit not a number", "GET", "/api/user/recent-login?limit=x", nil, "[invalid]limit"},
		badParam{"userId not a UUID", "GET", "/api/user/recent-login?userId=" + bad, nil, "[couldNotConvert]userId"},
		badParam{"userId not a UUID", "GET", "/api/system/login-record/search?userId=" + bad, nil, "[couldNotConvert]search.userId"},
		badParam{"applicationId not a UUID", "POST", "/api/system/login-record/search", searchBody("applicationId", bad), "[couldNotConvert]search.applicationId"},
		badParam{"groupId not a UUID", "POST", "/api/group/member/search", searchBody("groupId", bad), "[couldNotConvert]search.groupId"},
		badParam{"commenterId not a UUID", "POST", "/api/user/comment/search", searchBody("commenterId", bad), "[couldNotConvert]search.commenterId"},
		badParam{"userId not a UUID", "GET", "/api/group/member/search?userId=" + bad, nil, "[couldNotConvert]search.userId"},
		badParam{"tenantId not a UUID", "GET", "/api/webhook/search?tenantId=" + bad, nil, "[couldNotConvert]search.tenantId"},
		badParam{"ids not UUIDs", "GET", "/api/entity/search?ids=" + bad, nil, "[couldNotConvert]search.ids"},
		badParam{"ids not UUIDs", "POST", "/api/entity/search", searchBody("ids", []string{bad}), "[couldNotConvert]search.ids"},
		badParam{"active neither true nor false", "GET", "/api/user/action?userId=" + aliceID + "&active=maybe", nil, "[couldNotConvert]active"},
		badParam{"preventingLogin neither true nor false", "GET", "/api/user/action?userId=" + aliceID + "&preventingLogin=1", nil, "[couldNotConvert]preventingLogin"},
		badParam{"inactive neither true nor false", "GET", "/api/application?inactive=maybe", nil, "[couldNotConvert]inactive"},
		badParam{"inactive neither true nor false", "GET", "/api/user-action?inactive=maybe", nil, "[couldNotConvert]inactive"},
		badParam{"accurateTotal neither true nor false", "GET", "/api/user/search?queryString=*&accurateTotal=yes", nil, "[couldNotConvert]accurateTotal"},
		badParam{"retrieveTotal neither true nor false", "GET", "/api/system/login-record/search?retrieveTotal=yes", nil, "[couldNotConvert]retrieveTotal"},
		badParam{"hardDelete neither true nor false", "DELETE", "/api/user/" + aliceID + "?hardDelete=yes", nil, "[couldNotConvert]hardDelete"},
		badParam{"hardDelete neither true nor false", "DELETE", "/api/application/" + forumsApp + "?hardDelete=yes", nil, "[couldNotConvert]hardDelete"},
		badParam{"reactivate neither true nor false", "PUT", "/api/user/" + aliceID + "?reactivate=yes", map[string]any{"user": map[string]any{"email": aliceEmail}}, "[couldNotConvert]reactivate"},
		badParam{"sendVerifyEmail neither true nor false", "PUT", "/api/user/verify-email?email=" + aliceEmail + "&sendVerifyEmail=no!", nil, "[couldNotConvert]sendVerifyEmail"},
	)
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" "+tc.name, func(t *testing.T) {
			wantRefusedField(t, s.api(tc.method, tc.path, tc.body), tc.want)
		})
	}

	// The refused deletes deleted nothing, not even softly.
	if u := s.apiOK("GET", "/api/user/"+aliceID, nil)["user"].(map[string]any); u["active"] != true {
		t.Fatalf("alice after the refused delete: %v", u)
	}
	if a := s.apiOK("GET", "/api/application/"+forumsApp, nil)["application"].(map[string]any); a["active"] != true {
		t.Fatalf("forums after the refused delete: %v", a)
	}

	for _, good := range []struct{ method, path string }{
		{"GET", "/api/user/search?queryString=*&startRow=0&numberOfResults=1&accurateTotal=true"},
		{"GET", "/api/system/audit-log/search?startRow=0&numberOfResults=1"},
		{"GET", "/api/system/login-record/search?userId=" + aliceID + "&startRow=0&numberOfResults=1&retrieveTotal=false"},
		{"GET", "/api/system/webhook-event-log/search?startRow=0&numberOfResults=1"},
		{"GET", "/api/system/event-log/search?startRow=0&numberOfResults=1"},
		{"POST", "/api/lambda/search"},
		{"GET", "/api/consent/search?name=x&startRow=0&numberOfResults=1"},
		{"GET", "/api/webhook/search?startRow=0&numberOfResults=1"},
		{"POST", "/api/group/search"},
		{"GET", "/api/entity/search?startRow=0&numberOfResults=1"},
		{"POST", "/api/entity/search"},
		{"GET", "/api/group/member/search?userId=" + aliceID + "&startRow=0&numberOfResults=1"},
		{"GET", "/api/webhook/delivery?numberOfResults=1"},
		{"GET", "/api/user/recent-login?userId=" + aliceID + "&offset=0&limit=1"},
		{"GET", "/api/user/action?userId=" + aliceID + "&active=false&preventingLogin=TRUE"},
		{"GET", "/api/application?inactive=false"},
		{"GET", "/api/user-action?inactive=true"},
	} {
		t.Run("good "+good.method+" "+good.path, func(t *testing.T) {
			var body any
			if good.method == "POST" {
				body = searchBody("startRow", 0, "numberOfResults", 1)
			}
			s.apiOK(good.method, good.path, body)
		})
	}
}

// TestLambdaSearchPagesOnlyWithTheSharedRule: lambda search pages as every
// search does: numberOfResults 1 answers one lambda of the total, and a
// negative startRow no longer answers every lambda.
func TestLambdaSearchPagesOnlyWithTheSharedRule(t *testing.T) {
	s := newStack(t)
	for _, name := range []string{"first", "second"} {
		s.apiOK("POST", "/api/lambda", map[string]any{"lambda": map[string]any{"name": name, "type": "JWTPopulate",
			"body": "function populate(jwt, user, registration) {}"}})
	}
	res := s.apiOK("POST", "/api/lambda/search", searchBody("numberOfResults", 1))
	if got := len(res["lambdas"].([]any)); got != 1 || res["total"] != float64(2) {
		t.Fatalf("%d lambdas of %v, want 1 of 2", got, res["total"])
	}
	wantRefusedField(t, s.api("POST", "/api/lambda/search", searchBody("startRow", -1, "numberOfResults", -1)), "[invalid]search.startRow")
}
