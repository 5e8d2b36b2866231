package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/openapi/openapitest"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// together sends calls at once: every goroutine waits for one channel to
// close, then sends its call. The results come back in the calls' order. A
// transport failure is an error of the test (never a Fatal off the test's
// goroutine) and a status of 0.
func together(t *testing.T, s *stack, calls []call) []result {
	t.Helper()
	out := make([]result, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			<-start
			out[i] = sendCall(t, s, c)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// sendCall is stack.do for another goroutine than the test's.
func sendCall(t *testing.T, s *stack, c call) result {
	req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Error(err)
		return result{}
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	res, err := openapitest.Transport(t, nil).RoundTrip(req)
	if err != nil {
		t.Error(err)
		return result{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Error(err)
	}
	return result{res.StatusCode, res.Header, b}
}

// TestCancelNotUndoneByConcurrentModify (adversarial): a cancel of a lock
// sent together with modifies of it is answered 200 and stays: the action
// is cancelled, login works, and a modify that ran after it is the "ended
// or cancelled" 400, as is one sent later. Each modify's write holds only
// on the action as it read it (its revision), so none writes the lock
// back. The cancel cannot be answered 409: each of its lost tries is a
// modify that won, and there are fewer modifies than tries.
func TestCancelNotUndoneByConcurrentModify(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	s.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	later := s.Clock.Now().Add(2 * time.Hour).UnixMilli()
	for round := range 6 {
		id := s.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
			"userActionId": lockActionID, "expiry": s.Clock.Now().Add(time.Hour).UnixMilli()}})["action"].(map[string]any)["id"].(string)
		var calls []call
		for range 7 {
			calls = append(calls, call{method: "PUT", path: "/api/user/action/" + id, hdr: key, body: fmt.Sprintf(`{"action":{"expiry":%d}}`, later)})
		}
		calls = append(calls, call{method: "DELETE", path: "/api/user/action/" + id, hdr: key, body: `{"action":{"comment":"unlock"}}`})
		res := together(t, s, calls)
		if cancel := res[7]; cancel.status != 200 {
			t.Fatalf("round %d: the cancel: %d %s", round, cancel.status, cancel.body)
		}
		for i, r := range res[:7] {
			if r.status != 200 && !(r.status == 400 && strings.Contains(string(r.body), "ended or was cancelled")) {
				t.Fatalf("round %d: modify %d: %d %s", round, i, r.status, r.body)
			}
		}
		l, err := s.Store.GetUserActionLog(context.Background(), id)
		must(t, err)
		if !l.Canceled {
			t.Fatalf("round %d: the cancel was answered 200 but the action is not cancelled (expiry %d)", round, l.Expiry)
		}
		if login := s.login(storeApp, nil); login.status != 200 {
			t.Fatalf("round %d: login after the cancel: %d %s", round, login.status, login.body)
		}
		if r := s.api("PUT", "/api/user/action/"+id, map[string]any{"action": map[string]any{"expiry": later}}); r.status != 400 {
			t.Fatalf("round %d: a modify after the cancel: %d %s", round, r.status, r.body)
		}
	}
}

// entityType creates an entity type named name with permissions and
// returns its id and its permissions' ids by name.
func entityType(t *testing.T, s *stack, name string, permissions ...string) (string, map[string]string) {
	t.Helper()
	var ps []any
	for _, p := range permissions {
		ps = append(ps, map[string]any{"name": p})
	}
	typ := s.apiOK("POST", "/api/entity/type", map[string]any{"entityType": map[string]any{"name": name, "permissions": ps}})["entityType"].(map[string]any)
	return typ["id"].(string), permissionIDs(typ)
}

// permissionIDs maps an entity type's (its JSON's) permission names to ids.
func permissionIDs(typ map[string]any) map[string]string {
	ids := map[string]string{}
	for _, p := range typ["permissions"].([]any) {
		ids[p.(map[string]any)["name"].(string)] = p.(map[string]any)["id"].(string)
	}
	return ids
}

// TestConcurrentPermissionChangesAllKept: permissions added to and deleted
// from one entity type at once are each answered 200 and each applied: the
// type ends with every added permission and none of the deleted ones
// (a read-then-rewrite of the type's document kept only the last writer's).
func TestConcurrentPermissionChangesAllKept(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	old := []string{"old-0", "old-1", "old-2", "old-3"}
	typeID, ids := entityType(t, s, "Service", old...)
	var calls []call
	var want []string
	for i := range 20 {
		name := fmt.Sprint("added-", i)
		want = append(want, name)
		calls = append(calls, call{method: "POST", path: "/api/entity/type/" + typeID + "/permission", hdr: key, body: `{"permission":{"name":"` + name + `"}}`})
	}
	for _, name := range old {
		calls = append(calls, call{method: "DELETE", path: "/api/entity/type/" + typeID + "/permission/" + ids[name], hdr: key})
	}
	for i, r := range together(t, s, calls) {
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", calls[i].method, calls[i].path, r.status, r.body)
		}
	}
	got := permissionIDs(s.apiOK("GET", "/api/entity/type/"+typeID, nil)["entityType"].(map[string]any))
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("the type's permissions are %v, want %v", names, want)
	}
}

// TestConcurrentEntityPatchesAllKept: PATCHes of different keys of one
// entity's data sent at once are each applied (each PATCH applies to the
// entity as its try read it).
func TestConcurrentEntityPatchesAllKept(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	typeID, _ := entityType(t, s, "Service")
	id := s.apiOK("POST", "/api/entity", map[string]any{"entity": map[string]any{"name": "job", "type": map[string]any{"id": typeID}}})["entity"].(map[string]any)["id"].(string)
	var calls []call
	for i := range 12 {
		calls = append(calls, call{method: "PATCH", path: "/api/entity/" + id, hdr: key, body: fmt.Sprintf(`{"entity":{"data":{"k%d":%d}}}`, i, i)})
	}
	for i, r := range together(t, s, calls) {
		if r.status != 200 {
			t.Fatalf("PATCH %d: %d %s", i, r.status, r.body)
		}
	}
	data, _ := s.apiOK("GET", "/api/entity/"+id, nil)["entity"].(map[string]any)["data"].(map[string]any)
	if len(data) != 12 {
		t.Fatalf("the entity's data has %d of the 12 keys: %v", len(data), data)
	}
}

// TestConcurrentFirstGrantsNo500: first grants on one entity to one
// recipient sent at once are all answered 200 (one creates, the others
// replace it) and one grant remains; a round per new recipient. (On
// PostgreSQL a SELECT then INSERT let two of them both find no grant.)
func TestConcurrentFirstGrantsNo500(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	typeID, _ := entityType(t, s, "Service", "read")
	entity := func(name string) string {
		return s.apiOK("POST", "/api/entity", map[string]any{"entity": map[string]any{"name": name, "type": map[string]any{"id": typeID}}})["entity"].(map[string]any)["id"].(string)
	}
	api := entity("api")
	for round := range 6 {
		recipient := entity(fmt.Sprint("client-", round))
		var calls []call
		for range 20 {
			calls = append(calls, call{method: "POST", path: "/api/entity/" + api + "/grant", hdr: key, body: `{"grant":{"recipientEntityId":"` + recipient + `","permissions":["read"]}}`})
		}
		for i, r := range together(t, s, calls) {
			if r.status != 200 {
				t.Fatalf("round %d: grant %d: %d %s", round, i, r.status, r.body)
			}
		}
		if g := s.api("GET", "/api/entity/"+api+"/grant?recipientEntityId="+recipient, nil); g.status != 200 {
			t.Fatalf("round %d: the grant: %d %s", round, g.status, g.body)
		}
	}
	if gs := s.apiOK("GET", "/api/entity/"+api+"/grant", nil)["grants"].([]any); len(gs) != 6 {
		t.Fatalf("%d grants to 6 recipients, want one each", len(gs))
	}
}

// TestDeletedPermissionLeavesGrants (adversarial): once a permission of an
// entity type is deleted, no grant names it and no client_credentials
// token carries it; a new grant naming it is refused.
func TestDeletedPermissionLeavesGrants(t *testing.T) {
	s := newOAuthStack(t)
	api, client, secret := machineWorld(t, s)
	typ := s.apiOK("GET", "/api/entity/"+api, nil)["entity"].(map[string]any)["type"].(map[string]any)["id"].(string)
	ids := permissionIDs(s.apiOK("GET", "/api/entity/type/"+typ, nil)["entityType"].(map[string]any))
	s.apiOK("POST", "/api/entity/"+api+"/grant", map[string]any{"grant": map[string]any{"userId": aliceID, "permissions": []string{"read", "write"}}})
	s.apiOK("DELETE", "/api/entity/type/"+typ+"/permission/"+ids["read"], nil)

	for _, q := range []string{"recipientEntityId=" + client, "userId=" + aliceID} {
		g := s.apiOK("GET", "/api/entity/"+api+"/grant?"+q, nil)["grant"].(map[string]any)
		if slices.Contains(g["permissions"].([]any), any("read")) {
			t.Fatalf("grant (%s) still names the deleted permission: %v", q, g["permissions"])
		}
	}
	tok := s.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret}, "scope": {"target-entity:" + api}})
	if tok.status != 200 {
		t.Fatalf("client_credentials: %d %s", tok.status, tok.body)
	}
	claims := introspectNoClient(t, s, tok.json(t)["access_token"].(string))
	if p, _ := claims["permissions"].(map[string]any)[api].([]any); slices.Contains(p, any("read")) {
		t.Fatalf("the token carries the deleted permission: %v", claims["permissions"])
	}
	if r := s.api("POST", "/api/entity/"+api+"/grant", map[string]any{"grant": map[string]any{"recipientEntityId": client, "permissions": []string{"read"}}}); r.status != 400 {
		t.Fatalf("a grant of the deleted permission: %d %s", r.status, r.body)
	}
}

// recipientVanishes is the real store with the grant's user deleted just
// before the grant is written: a deletion committed between the use
// case's checks and its write.
type recipientVanishes struct{ storage.Storage }

func (s recipientVanishes) UpsertEntityGrant(ctx context.Context, g storage.EntityGrant, audit ...storage.AuditEntry) (storage.EntityGrant, error) {
	if g.UserID != "" {
		if err := s.DeleteUser(ctx, g.UserID); err != nil {
			return g, err
		}
	}
	return s.Storage.UpsertEntityGrant(ctx, g, audit...)
}

// TestGrantToUserDeletedMeanwhile: a grant to a user deleted after the
// request's checks and before its write answers what a grant to an unknown
// user answers (400 on grant.userId), not a 500, and stores nothing.
func TestGrantToUserDeletedMeanwhile(t *testing.T) {
	s := buildStack(t, stackOpts{store: recipientVanishes{sqlstorage.OpenTest(t)}})
	typeID, _ := entityType(t, s, "Service", "read")
	api := s.apiOK("POST", "/api/entity", map[string]any{"entity": map[string]any{"name": "api", "type": map[string]any{"id": typeID}}})["entity"].(map[string]any)["id"].(string)
	grant := map[string]any{"grant": map[string]any{"userId": aliceID, "permissions": []string{"read"}}}
	res := s.api("POST", "/api/entity/"+api+"/grant", grant)
	if res.status != 400 || !strings.Contains(string(res.body), `"grant.userId"`) {
		t.Fatalf("a grant to a user deleted meanwhile: %d %s", res.status, res.body)
	}
	if unknown := s.api("POST", "/api/entity/"+api+"/grant", grant); string(unknown.body) != string(res.body) {
		t.Fatalf("deleted meanwhile %s, unknown %s: want the same answer", res.body, unknown.body)
	}
	if gs := s.apiOK("GET", "/api/entity/"+api+"/grant", nil)["grants"].([]any); len(gs) != 0 {
		t.Fatalf("grants stored: %v", gs)
	}
}
