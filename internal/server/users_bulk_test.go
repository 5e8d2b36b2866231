package server_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The bulk delete tests (DELETE /api/user/bulk, FusionAuth's deleteUsers and
// deleteUsersByQuery) run on newStack's world, alice included, on PostgreSQL
// too when LATCHKEY_TEST_POSTGRES_DSN is set.

// createUsers creates a user for each email through the API, returning ids.
func (s *stack) createUsers(emails ...string) []string {
	s.t.Helper()
	ids := make([]string, len(emails))
	for i, e := range emails {
		ids[i] = s.apiOK("POST", "/api/user", map[string]any{"user": map[string]any{"email": e,
			"password": "a long enough password"}})["user"].(map[string]any)["id"].(string)
	}
	return ids
}

// directorySnapshot is every user as the API shows it (active,
// lastUpdateInstant, registrations) and the audit log's length: a bulk
// delete that changed anything, even one user's active flag, changes it,
// since each delete writes its audit entry in its own transaction.
func (s *stack) directorySnapshot() []byte {
	s.t.Helper()
	users := s.apiOK("GET", "/api/user/search?queryString=*&numberOfResults=500&accurateTotal=true&sortFields[0].name=id", nil)
	audit := s.apiOK("POST", "/api/system/audit-log/search", map[string]any{"search": map[string]any{"numberOfResults": 1}})
	return fmt.Appendf(nil, "%v audit entries: %v", users, audit["total"])
}

// wantBulk checks a bulk delete's answer: 200 with exactly FusionAuth's
// UserDeleteResponse fields.
func wantBulk(t *testing.T, res result, dryRun, hardDelete bool, ids ...string) {
	t.Helper()
	wantStatus(t, res, 200)
	got := res.json(t)
	var gotIDs []string
	for _, id := range got["userIds"].([]any) {
		gotIDs = append(gotIDs, id.(string))
	}
	if got["dryRun"] != dryRun || got["hardDelete"] != hardDelete || got["total"] != float64(len(ids)) || len(got) != 4 {
		t.Fatalf("answer %s, want dryRun %v, hardDelete %v, total %d", res.body, dryRun, hardDelete, len(ids))
	}
	if !slices.Equal(gotIDs, ids) && !(len(ids) > 0 && sameSet(gotIDs, ids)) {
		t.Fatalf("userIds %v, want %v", gotIDs, ids)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// errorCodes are every field error code of a FusionAuth 400 body.
func errorCodes(t *testing.T, res result) []string {
	t.Helper()
	var codes []string
	errs, _ := res.json(t)["fieldErrors"].(map[string]any)
	for _, list := range errs {
		for _, e := range list.([]any) {
			codes = append(codes, e.(map[string]any)["code"].(string))
		}
	}
	return codes
}

func (s *stack) userActive(id string) any {
	s.t.Helper()
	return s.apiOK("GET", "/api/user/"+id, nil)["user"].(map[string]any)["active"]
}

// TestBulkDeleteByIDsDeactivatesThenHardDeletes: DELETE /api/user/bulk with
// repeated userId parameters deactivates exactly the users named, as
// DELETE /api/user/{id} does for each (user.deactivate for each, alice's
// refresh token revoked); an id of no user is skipped and not counted. The
// body's UserDeleteRequest {"userIds":[…],"hardDelete":true} then removes
// them (user.delete for each, 404 after); a user not named is untouched.
func TestBulkDeleteByIDsDeactivatesThenHardDeletes(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserDelete, events.UserDeactivate}, "")}), 200)
	ids := s.createUsers("bob@example.test", "carol@example.test", "dave@example.test")
	bob, carol, dave := ids[0], ids[1], ids[2]
	wantStatus(t, s.login(storeApp, nil), 200)
	if toks, _ := s.apiOK("GET", "/api/jwt/refresh?userId="+aliceID, nil)["refreshTokens"].([]any); len(toks) != 1 {
		t.Fatalf("alice's login left %d refresh tokens, want 1", len(toks))
	}
	const nobody = "0f1a2b3c-0000-4000-8000-00000000dead"

	wantBulk(t, s.api("DELETE", "/api/user/bulk?userId="+aliceID+"&userId="+nobody+"&userId="+bob, nil), false, false, aliceID, bob)
	for id, want := range map[string]any{aliceID: false, bob: false, carol: true, dave: true} {
		if got := s.userActive(id); got != want {
			t.Errorf("user %s active %v, want %v", id, got, want)
		}
	}
	got := map[string]bool{}
	for _, d := range rec.waitFor(events.UserDeactivate, 2) {
		got[d.event["user"].(map[string]any)["id"].(string)] = true
	}
	if !got[aliceID] || !got[bob] {
		t.Errorf("user.deactivate sent for %v, want alice and bob", got)
	}
	if toks, _ := s.apiOK("GET", "/api/jwt/refresh?userId="+aliceID, nil)["refreshTokens"].([]any); len(toks) > 0 {
		t.Errorf("alice's refresh tokens outlive the bulk deactivation: %v", toks)
	}

	wantBulk(t, s.api("DELETE", "/api/user/bulk", map[string]any{"userIds": []string{bob, carol, nobody}, "hardDelete": true}), false, true, bob, carol)
	for _, id := range []string{bob, carol} {
		if res := s.api("GET", "/api/user/"+id, nil); res.status != 404 {
			t.Errorf("user %s after the hard delete: %d %s", id, res.status, res.body)
		}
	}
	if s.userActive(dave) != true {
		t.Errorf("dave, not named, changed")
	}
	got = map[string]bool{}
	for _, d := range rec.waitFor(events.UserDelete, 2) {
		got[d.event["user"].(map[string]any)["id"].(string)] = true
	}
	if !got[bob] || !got[carol] {
		t.Errorf("user.delete sent for %v, want bob and carol", got)
	}
}

// TestBulkDeleteByQueryString: queryString (the user search's database
// engine; in the body, or as a query parameter) deletes the users it
// matches and no other, in the caller's tenant only, and at most limit of
// them per call: a second call takes the rest.
func TestBulkDeleteByQueryString(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant() // other@example.test, in another tenant
	leavers := s.createUsers("leaver1@gone.example", "leaver2@gone.example", "leaver3@gone.example")
	stayer := s.createUsers("stayer@example.test")[0]

	first := s.api("DELETE", "/api/user/bulk", map[string]any{"queryString": "gone.example", "hardDelete": true, "limit": 2})
	wantStatus(t, first, 200)
	var done []string
	for _, id := range first.json(t)["userIds"].([]any) {
		done = append(done, id.(string))
	}
	if len(done) != 2 || !slices.Contains(leavers, done[0]) || !slices.Contains(leavers, done[1]) {
		t.Fatalf("limit 2: deleted %v, want two of %v", done, leavers)
	}
	rest := slices.DeleteFunc(slices.Clone(leavers), func(id string) bool { return slices.Contains(done, id) })
	wantBulk(t, s.api("DELETE", "/api/user/bulk?queryString=gone.example&hardDelete=true", nil), false, true, rest...)
	for _, id := range leavers {
		if res := s.api("GET", "/api/user/"+id, nil); res.status != 404 {
			t.Errorf("leaver %s: %d", id, res.status)
		}
	}
	wantBulk(t, s.api("DELETE", "/api/user/bulk?queryString=gone.example", nil), false, false)

	// A key scoped to the default tenant matches other@example.test in
	// neither way, not by its address, not by its id, and a dry run does
	// not reveal it either.
	wantBulk(t, s.api("DELETE", "/api/user/bulk?dryRun=true&queryString=other%40example.test", nil, "Authorization", scopedKey), true, false)
	wantBulk(t, s.api("DELETE", "/api/user/bulk?dryRun=true&userId="+otherUserID, nil, "Authorization", scopedKey), true, false)
	wantBulk(t, s.api("DELETE", "/api/user/bulk", map[string]any{"queryString": "other@example.test", "hardDelete": true}, "Authorization", scopedKey), false, true)
	wantBulk(t, s.api("DELETE", "/api/user/bulk?hardDelete=true&userId="+otherUserID, nil, "Authorization", scopedKey), false, true)
	if res := s.api("GET", "/api/user/"+otherUserID, nil); res.status != 200 || s.userActive(otherUserID) != true {
		t.Errorf("the other tenant's user changed through a scoped key: %d %s", res.status, res.body)
	}
	for _, id := range []string{aliceID, stayer} {
		if s.userActive(id) != true {
			t.Errorf("user %s, not matched, changed", id)
		}
	}
}

// TestBulkDeleteSoftByQueryStringSkipsInactiveUsers: a soft delete leaves
// out users already inactive, whether matched or named, so a caller
// repeating a soft delete by queryString with a limit reaches total 0: the
// second call deactivates the match the first left, past those it
// deactivated and past a full search page of inactive users that sort
// first, and the third finds none. A hard delete still takes them.
func TestBulkDeleteSoftByQueryStringSkipsInactiveUsers(t *testing.T) {
	s := newStack(t)
	for i := range manage.MaxPageSize {
		must(t, s.Store.CreateUser(context.Background(), storage.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), TenantID: tenantID,
			Email: fmt.Sprintf("gone%04d@soft.example", i), InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	ids := s.createUsers("soft1@soft.example", "soft2@soft.example", "soft3@soft.example")
	var done []string
	for _, want := range []int{2, 1, 0} {
		res := s.api("DELETE", "/api/user/bulk?queryString=soft.example&limit=2", nil)
		wantStatus(t, res, 200)
		if got := res.json(t)["total"]; got != float64(want) {
			t.Fatalf("call %d: total %v (%s), want %d", len(done), got, res.body, want)
		}
		for _, id := range res.json(t)["userIds"].([]any) {
			done = append(done, id.(string))
		}
	}
	if !sameSet(done, ids) {
		t.Fatalf("deactivated %v, want each of %v once", done, ids)
	}
	for _, id := range ids {
		if s.userActive(id) != false {
			t.Errorf("user %s still active", id)
		}
	}
	wantBulk(t, s.api("DELETE", "/api/user/bulk?userId="+ids[0], nil), false, false)
	wantBulk(t, s.api("DELETE", "/api/user/bulk?hardDelete=true&userId="+ids[0], nil), false, true, ids[0])
}

// TestBulkDeleteDryRunChangesNothing: dryRun, in the query or the body,
// with a soft or a hard delete, by ids or by queryString, answers the users
// that would be deleted and changes nothing: every user and the audit log
// read the same afterwards.
func TestBulkDeleteDryRunChangesNothing(t *testing.T) {
	s := newStack(t)
	ids := s.createUsers("bob@example.test", "carol@example.test")
	before := s.directorySnapshot()
	wantBulk(t, s.api("DELETE", "/api/user/bulk?dryRun=true&hardDelete=true&userId="+ids[0]+"&userId="+ids[1], nil), true, true, ids...)
	wantBulk(t, s.api("DELETE", "/api/user/bulk?dryRun=true", map[string]any{"userIds": ids}), true, false, ids...)
	wantBulk(t, s.api("DELETE", "/api/user/bulk", map[string]any{"queryString": "*", "dryRun": true, "hardDelete": true}), true, true,
		append([]string{aliceID}, ids...)...)
	// The query's dryRun wins over a body that says false.
	wantBulk(t, s.api("DELETE", "/api/user/bulk?dryRun=true", map[string]any{"userIds": ids, "dryRun": false, "hardDelete": true}), true, true, ids...)
	if after := s.directorySnapshot(); !bytes.Equal(before, after) {
		t.Fatalf("a dry run changed the directory:\nbefore %s\nafter  %s", before, after)
	}
}

// TestBulkDeleteIsBounded: however many users match, one call deletes (or
// a dry run lists) at most manage.MaxPageSize, whatever limit asks for.
func TestBulkDeleteIsBounded(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	for i := range manage.MaxPageSize + 1 {
		must(t, s.Store.CreateUser(ctx, storage.User{ID: fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", 100000+i), TenantID: tenantID,
			Active: true, Email: fmt.Sprintf("many%04d@example.test", i), InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	for _, path := range []string{"/api/user/bulk?dryRun=true&queryString=many", "/api/user/bulk?dryRun=true&queryString=many&limit=100000"} {
		res := s.api("DELETE", path, nil)
		wantStatus(t, res, 200)
		if n := len(res.json(t)["userIds"].([]any)); n != manage.MaxPageSize || res.json(t)["total"] != float64(manage.MaxPageSize) {
			t.Errorf("%s: %d users, want %d", path, n, manage.MaxPageSize)
		}
	}
}

// TestBulkDeleteRefusesBadRequestsChangingNothing: an Elasticsearch query
// (latchkey's search has the database engine only), no selection at all
// (never "everyone"), ids and a queryString together, an id that is not a
// UUID, more ids than one call takes, a negative limit, a flag that is not
// a boolean and a body that is not JSON are 400 with FusionAuth's error
// body; nothing changes.
func TestBulkDeleteRefusesBadRequestsChangingNothing(t *testing.T) {
	s := newStack(t)
	ids := s.createUsers("bob@example.test")
	before := s.directorySnapshot()
	many := make([]string, manage.MaxPageSize+1)
	for i := range many {
		many[i] = fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", i)
	}
	for _, c := range []struct {
		name, path string
		body       any
		code       string
	}{
		{"query", "/api/user/bulk?hardDelete=true", map[string]any{"query": `{"match_all":{}}`}, "[invalid]query"},
		{"query parameter", "/api/user/bulk?hardDelete=true&query=%7B%22match_all%22%3A%7B%7D%7D", nil, "[invalid]query"},
		{"nothing named", "/api/user/bulk?hardDelete=true", nil, "[blank]userIds"},
		{"empty body", "/api/user/bulk", map[string]any{"hardDelete": true}, "[blank]userIds"},
		{"both", "/api/user/bulk", map[string]any{"userIds": ids, "queryString": "*", "hardDelete": true}, "[invalid]userIds"},
		{"not a UUID", "/api/user/bulk?hardDelete=true&userId=" + ids[0] + "&userId=bob", nil, "[couldNotConvert]userIds"},
		{"too many", "/api/user/bulk", map[string]any{"userIds": append(many, ids[0]), "hardDelete": true}, "[tooMany]userIds"},
		{"negative limit", "/api/user/bulk", map[string]any{"queryString": "*", "limit": -1, "hardDelete": true}, "[invalid]limit"},
		{"hardDelete not a boolean", "/api/user/bulk?hardDelete=yes&userId=" + ids[0], nil, "[couldNotConvert]hardDelete"},
		{"dryRun not a boolean", "/api/user/bulk?dryRun=no&userId=" + ids[0], nil, "[couldNotConvert]dryRun"},
		{"body not JSON", "/api/user/bulk", `{"userIds":[`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.api("DELETE", c.path, c.body)
			if res.status != 400 {
				t.Fatalf("%d %s, want 400", res.status, res.body)
			}
			if c.code != "" && !slices.Contains(errorCodes(t, res), c.code) {
				t.Fatalf("errors %v (%s), want %s", errorCodes(t, res), res.body, c.code)
			}
		})
	}
	if after := s.directorySnapshot(); !bytes.Equal(before, after) {
		t.Fatalf("a refused bulk delete changed the directory:\nbefore %s\nafter  %s", before, after)
	}
}

// TestBulkDeleteNeedsItsKeyPermission: an API key without DELETE on
// /api/user/bulk is refused with 401 and nothing changes, even one allowed
// to delete users one by one (/api/user), or to GET /api/user/bulk's
// endpoint; no key at all is 401 too. A key holding DELETE on
// /api/user/bulk deletes.
func TestBulkDeleteNeedsItsKeyPermission(t *testing.T) {
	s := newStack(t)
	ids := s.createUsers("bob@example.test")
	key := func(perms map[string]any) string {
		k := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{
			"permissions": map[string]any{"endpoints": perms}}})
		return k["apiKey"].(map[string]any)["key"].(string)
	}
	single := key(map[string]any{"/api/user": []string{"GET", "POST", "PUT", "PATCH", "DELETE"}})
	getOnly := key(map[string]any{"/api/user/bulk": []string{"GET"}})
	bulk := key(map[string]any{"/api/user/bulk": []string{"DELETE"}})
	before := s.directorySnapshot()
	for name, k := range map[string]string{"single-user key": single, "GET-only key": getOnly, "no key": ""} {
		res := s.api("DELETE", "/api/user/bulk?hardDelete=true&userId="+ids[0]+"&userId="+aliceID, nil, "Authorization", k)
		if res.status != 401 {
			t.Errorf("%s: %d %s, want 401", name, res.status, res.body)
		}
	}
	if after := s.directorySnapshot(); !bytes.Equal(before, after) {
		t.Fatalf("a refused key changed the directory:\nbefore %s\nafter  %s", before, after)
	}
	wantBulk(t, s.api("DELETE", "/api/user/bulk?hardDelete=true&userId="+ids[0], nil, "Authorization", bulk), false, true, ids[0])
	if res := s.api("GET", "/api/user/"+ids[0], nil); res.status != 404 {
		t.Errorf("after the permitted bulk delete: %d", res.status)
	}
	if !reflect.DeepEqual(s.userActive(aliceID), true) {
		t.Errorf("alice changed")
	}
}
