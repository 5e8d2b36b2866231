package server_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/jsonpatch"
)

// jsonPatchType is RFC 6902's media type, FusionAuth's third PATCH option.
const jsonPatchType = "application/json-patch+json"

// jsonPatch sends ops (a JSON text, or anything JSON) as an RFC 6902 PATCH
// of path, with the super key unless hdr says otherwise.
func (s *stack) jsonPatch(path string, ops any, hdr ...string) result {
	s.t.Helper()
	return s.api("PATCH", path, ops, append([]string{"Content-Type", jsonPatchType}, hdr...)...)
}

// changedLeaves lists where a and b differ, as JSON Pointers to the
// members, elements or values that differ.
func changedLeaves(prefix string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		for k := range am {
			out = append(out, changedLeaves(prefix+"/"+k, am[k], bm[k])...)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				out = append(out, prefix+"/"+k)
			}
		}
		return out
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		var out []string
		for i := range as {
			out = append(out, changedLeaves(fmt.Sprintf("%s/%d", prefix, i), as[i], bs[i])...)
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	return []string{prefix}
}

// generalCodes are the general error codes of a FusionAuth 400 body.
func generalCodes(t *testing.T, res result) []string {
	t.Helper()
	var codes []string
	list, _ := res.json(t)["generalErrors"].([]any)
	for _, e := range list {
		codes = append(codes, e.(map[string]any)["code"].(string))
	}
	return codes
}

// lastUpdate is what every accepted update changes besides what it names.
var lastUpdate = []string{"/user/lastUpdateInstant", "/registration/lastUpdateInstant", "/application/lastUpdateInstant",
	"/tenant/lastUpdateInstant", "/group/lastUpdateInstant"}

// TestJSONPatchChangesExactlyWhatItNames: an RFC 6902 patch of a user, a
// registration, an application, the tenant and a group, with paths into
// the endpoint's PUT request (/user/firstName), changes what its
// operations name and nothing else (GET before and after), and answers
// the record as GET then shows it.
func TestJSONPatchChangesExactlyWhatItNames(t *testing.T) {
	s := newStack(t)
	group := s.apiOK("POST", "/api/group", map[string]any{"group": map[string]any{"name": "Staff", "data": map[string]any{"floor": 2}}})
	groupID := group["group"].(map[string]any)["id"].(string)
	app := s.apiOK("POST", "/api/application", map[string]any{"application": map[string]any{"name": "Store",
		"oauthConfiguration": map[string]any{"authorizedOriginURLs": []string{storeSite}}}})
	appID := app["application"].(map[string]any)["id"].(string)
	for _, c := range []struct {
		name, get, patch string
		ops              string
		want             map[string]any // pointer → value after
		changed          []string       // what GET shows changed (a new member as a whole)
	}{
		{"user", "/api/user/" + aliceID, "/api/user/" + aliceID,
			`[{"op":"add","path":"/user/firstName","value":"Alicia"},
			  {"op":"add","path":"/user/data","value":{"tier":"gold","n":12345678901234567890}},
			  {"op":"replace","path":"/user/username","value":"alicia"}]`,
			map[string]any{"/user/firstName": "Alicia", "/user/data/tier": "gold", "/user/data/n": 12345678901234567890.0, "/user/username": "alicia"},
			[]string{"/user/firstName", "/user/data", "/user/username"}},
		{"registration", "/api/user/registration/" + aliceID + "/" + storeApp, "/api/user/registration/" + aliceID + "/" + storeApp,
			`[{"op":"add","path":"/registration/timezone","value":"Europe/Paris"},
			  {"op":"add","path":"/registration/data","value":{"plan":"pro"}}]`,
			map[string]any{"/registration/timezone": "Europe/Paris", "/registration/data/plan": "pro"},
			[]string{"/registration/timezone", "/registration/data"}},
		{"application", "/api/application/" + appID, "/api/application/" + appID,
			`[{"op":"test","path":"/application/name","value":"Store"},
			  {"op":"replace","path":"/application/name","value":"Shop"},
			  {"op":"add","path":"/application/oauthConfiguration/authorizedOriginURLs/-","value":"https://shop.example.test"}]`,
			map[string]any{"/application/name": "Shop", "/application/oauthConfiguration/authorizedOriginURLs/1": "https://shop.example.test"},
			[]string{"/application/name", "/application/oauthConfiguration/authorizedOriginURLs"}},
		{"tenant", "/api/tenant/" + tenantID, "/api/tenant/" + tenantID,
			`[{"op":"replace","path":"/tenant/jwtConfiguration/timeToLiveInSeconds","value":600},
			  {"op":"add","path":"/tenant/data","value":{}},
			  {"op":"copy","from":"/tenant/jwtConfiguration/refreshTokenTimeToLiveInMinutes","path":"/tenant/data/copied"}]`,
			map[string]any{"/tenant/jwtConfiguration/timeToLiveInSeconds": 600.0, "/tenant/data/copied": 60.0},
			[]string{"/tenant/jwtConfiguration/timeToLiveInSeconds", "/tenant/data"}},
		{"group", "/api/group/" + groupID, "/api/group/" + groupID,
			`[{"op":"move","from":"/group/data/floor","path":"/group/data/level"},
			  {"op":"replace","path":"/group/name","value":"Crew"}]`,
			map[string]any{"/group/name": "Crew", "/group/data/level": 2.0, "/group/data/floor": nil},
			[]string{"/group/name", "/group/data/level", "/group/data/floor"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := s.apiOK("GET", c.get, nil)
			res := s.jsonPatch(c.patch, c.ops)
			if res.status != 200 {
				t.Fatalf("patch: %d %s", res.status, res.body)
			}
			after := s.apiOK("GET", c.get, nil)
			var changed []string
			for _, p := range changedLeaves("", before, after) {
				if !slices.Contains(lastUpdate, p) {
					changed = append(changed, p)
				}
			}
			if !sameSet(changed, c.changed) {
				t.Fatalf("changed %v, want %v", changed, c.changed)
			}
			for p, v := range c.want {
				if got := pointer(after, p); !reflect.DeepEqual(got, v) {
					t.Errorf("%s = %#v, want %#v", p, got, v)
				}
			}
			if diff := changedLeaves("", res.json(t), after); len(diff) != 0 {
				t.Errorf("the answer differs from GET at %v", diff)
			}
		})
	}
	if !strings.Contains(string(s.api("GET", "/api/user/"+aliceID, nil).body), "12345678901234567890") {
		t.Error("a number the patch added was not kept as sent")
	}
}

// pointer resolves a JSON Pointer of plain names and indexes in v.
func pointer(v any, p string) any {
	for _, tok := range strings.Split(p, "/")[1:] {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			var i int
			fmt.Sscan(tok, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// TestJSONPatchRefusalsChangeNothing: a body that is not a JSON Patch, an
// operation on a location alice's user does not have, a failed test after
// an operation that applied, more than 1,000 operations, copies doubling a
// value again and again, and a patch whose result a PUT would refuse are
// each 400 with their code, and GET shows alice exactly as before: a patch
// applies whole or not at all.
func TestJSONPatchRefusalsChangeNothing(t *testing.T) {
	s := newStack(t)
	path := "/api/user/" + aliceID
	s.apiOK("PATCH", path, map[string]any{"user": map[string]any{"firstName": "Alice", "data": map[string]any{"blob": strings.Repeat("x", 30<<10)}}})
	before := s.apiOK("GET", path, nil)
	many := "[" + strings.Repeat(`{"op":"test","path":"/user/firstName","value":"Alice"},`, jsonpatch.MaxOperations) +
		`{"op":"replace","path":"/user/firstName","value":"Many"}]`
	var doubling []string
	for i := range 40 {
		doubling = append(doubling, fmt.Sprintf(`{"op":"copy","from":"/user/data","path":"/user/data/c%d"}`, i))
	}
	for _, c := range []struct {
		name, body, code string
		field            bool // a field error of the PUT's validation
	}{
		{"an object", `{"user":{"firstName":"Mallory"}}`, "[invalidJSONPatch]", false},
		{"not JSON", `[{"op":"replace",`, "[invalidJSONPatch]", false},
		{"unknown op", `[{"op":"set","path":"/user/firstName","value":"Mallory"}]`, "[invalidJSONPatch]", false},
		{"no path", `[{"op":"replace","value":"Mallory"}]`, "[invalidJSONPatch]", false},
		{"no value", `[{"op":"replace","path":"/user/firstName"}]`, "[invalidJSONPatch]", false},
		{"duplicate member", `[{"op":"replace","path":"/user/firstName","path":"/user/lastName","value":"Mallory"}]`, "[invalidJSONPatch]", false},
		{"remove a missing member", `[{"op":"replace","path":"/user/firstName","value":"Mallory"},{"op":"remove","path":"/user/middleName"}]`, "[JSONPatchNotApplicable]", false},
		{"replace a missing member", `[{"op":"replace","path":"/user/nickName","value":"Mallory"}]`, "[JSONPatchNotApplicable]", false},
		{"index past the end", `[{"op":"add","path":"/user/preferredLanguages/3","value":"fr"}]`, "[JSONPatchNotApplicable]", false},
		{"failed test after a replace", `[{"op":"replace","path":"/user/firstName","value":"Mallory"},{"op":"test","path":"/user/email","value":"someone@example.test"}]`, "[JSONPatchTestFailed]", false},
		{"too many operations", many, "[tooManyOperations]", false},
		{"copies doubling a value", "[" + strings.Join(doubling, ",") + "]", "[JSONPatchTooLarge]", false},
		{"a result of the wrong type", `[{"op":"replace","path":"/user/firstName","value":5}]`, "[invalid]user.firstName", true},
		{"a result the PUT refuses", `[{"op":"replace","path":"/user/email","value":"not an address"}]`, "[notEmail]user.email", true},
		{"a result without a login id", `[{"op":"remove","path":"/user/email"},{"op":"remove","path":"/user/username"}]`, "[blank]user.email", true},
		{"the whole request replaced by a non-object", `[{"op":"replace","path":"","value":["x"]}]`, "[JSONPatchNotApplicable]", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.jsonPatch(path, c.body)
			if res.status != 400 {
				t.Fatalf("%d %.300s, want 400", res.status, res.body)
			}
			codes := generalCodes(t, res)
			if c.field {
				codes = errorCodes(t, res)
			}
			if !slices.Contains(codes, c.code) {
				t.Fatalf("codes %v (%.300s), want %s", codes, res.body, c.code)
			}
			if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
				t.Fatalf("alice changed at %v", changedLeaves("", before, after))
			}
		})
	}
	t.Run("an empty body", func(t *testing.T) {
		if res := s.jsonPatch(path, ""); res.status != 400 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
			t.Fatalf("alice changed at %v", changedLeaves("", before, after))
		}
	})
}

// TestJSONPatchCannotWriteWhatPUTKeeps: a patch's result goes through the
// PUT's update, so the members a PUT cannot change (ids, the tenant, the
// instants, verified, active, the stored password) stay as they were
// however a patch sets them, and the one profile member it names changes;
// alice still logs in with her password. The same for a registration's
// ids and application.
func TestJSONPatchCannotWriteWhatPUTKeeps(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	path := "/api/user/" + aliceID
	before := s.apiOK("GET", path, nil)
	res := s.jsonPatch(path, `[
		{"op":"replace","path":"/user/id","value":"0f1a2b3c-0000-4000-8000-0000000000ee"},
		{"op":"replace","path":"/user/tenantId","value":"`+otherTenant+`"},
		{"op":"replace","path":"/user/insertInstant","value":1},
		{"op":"add","path":"/user/lastLoginInstant","value":2},
		{"op":"add","path":"/user/passwordLastUpdateInstant","value":3},
		{"op":"replace","path":"/user/verified","value":false},
		{"op":"replace","path":"/user/active","value":false},
		{"op":"add","path":"/user/passwordHash","value":"x"},
		{"op":"add","path":"/user/salt","value":"x"},
		{"op":"add","path":"/user/firstName","value":"Still Alice"}]`)
	if res.status != 200 {
		t.Fatalf("patch: %d %s", res.status, res.body)
	}
	after := s.apiOK("GET", path, nil)
	changed := slices.DeleteFunc(changedLeaves("", before, after), func(p string) bool { return slices.Contains(lastUpdate, p) })
	if !sameSet(changed, []string{"/user/firstName"}) {
		t.Fatalf("changed %v, want only /user/firstName", changed)
	}
	if res := s.login(storeApp, nil); res.status != 200 {
		t.Fatalf("alice's login after the patch: %d %s", res.status, res.body)
	}

	reg := "/api/user/registration/" + aliceID + "/" + storeApp
	before = s.apiOK("GET", reg, nil)
	res = s.jsonPatch(reg, `[
		{"op":"replace","path":"/registration/applicationId","value":"`+forumsApp+`"},
		{"op":"replace","path":"/registration/id","value":"0f1a2b3c-0000-4000-8000-0000000000ee"},
		{"op":"add","path":"/registration/userId","value":"`+otherUserID+`"},
		{"op":"add","path":"/registration/insertInstant","value":1}]`)
	if res.status != 200 {
		t.Fatalf("patch registration: %d %s", res.status, res.body)
	}
	after = s.apiOK("GET", reg, nil)
	if changed := slices.DeleteFunc(changedLeaves("", before, after), func(p string) bool { return slices.Contains(lastUpdate, p) }); len(changed) != 0 {
		t.Fatalf("the registration changed at %v", changed)
	}
	if res := s.api("GET", "/api/user/registration/"+aliceID+"/"+forumsApp, nil); res.status != 404 {
		t.Fatalf("a registration for forums appeared: %d %s", res.status, res.body)
	}
}

// TestJSONPatchTenantScope: a key scoped to the default tenant cannot
// patch the other tenant's user through RFC 6902 (404, the user as it
// was), nor move alice to the other tenant (her tenantId is kept).
func TestJSONPatchTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	other := "/api/user/" + otherUserID
	before := s.apiOK("GET", other, nil)
	if res := s.jsonPatch(other, `[{"op":"replace","path":"/user/firstName","value":"Mallory"}]`, "Authorization", scopedKey); res.status != 404 {
		t.Fatalf("the scoped key's patch of the other tenant's user: %d %s", res.status, res.body)
	}
	if after := s.apiOK("GET", other, nil); !reflect.DeepEqual(after, before) {
		t.Fatalf("the other tenant's user changed at %v", changedLeaves("", before, after))
	}
	res := s.jsonPatch("/api/user/"+aliceID, `[{"op":"replace","path":"/user/tenantId","value":"`+otherTenant+`"}]`, "Authorization", scopedKey)
	if res.status != 200 {
		t.Fatalf("the scoped key's patch of alice: %d %s", res.status, res.body)
	}
	if got := s.apiOK("GET", "/api/user/"+aliceID, nil)["user"].(map[string]any)["tenantId"]; got != tenantID {
		t.Fatalf("alice's tenant is %v", got)
	}
}

// TestJSONPatchTestGuardsAConcurrentChange: a client that read alice's
// first name, then sends a patch testing that value, is refused once a PUT
// changed the name in between (400 [JSONPatchTestFailed]); the PUT's value
// stays, and the same patch testing the current value applies.
func TestJSONPatchTestGuardsAConcurrentChange(t *testing.T) {
	s := newStack(t)
	path := "/api/user/" + aliceID
	s.apiOK("PATCH", path, map[string]any{"user": map[string]any{"firstName": "Alice"}})
	read := s.apiOK("GET", path, nil)["user"].(map[string]any)["firstName"]
	s.apiOK("PUT", path, map[string]any{"user": map[string]any{"email": aliceEmail, "username": "alice", "firstName": "Bob"}})
	guarded := func(seen any) string {
		return fmt.Sprintf(`[{"op":"test","path":"/user/firstName","value":%q},{"op":"replace","path":"/user/firstName","value":"Carol"}]`, seen)
	}
	res := s.jsonPatch(path, guarded(read))
	if res.status != 400 || !slices.Contains(generalCodes(t, res), "[JSONPatchTestFailed]") {
		t.Fatalf("the patch testing the old name: %d %s", res.status, res.body)
	}
	if got := s.apiOK("GET", path, nil)["user"].(map[string]any)["firstName"]; got != "Bob" {
		t.Fatalf("first name %v after the refused patch, want the PUT's Bob", got)
	}
	if res := s.jsonPatch(path, guarded("Bob")); res.status != 200 {
		t.Fatalf("the patch testing the current name: %d %s", res.status, res.body)
	}
	if got := s.apiOK("GET", path, nil)["user"].(map[string]any)["firstName"]; got != "Carol" {
		t.Fatalf("first name %v, want Carol", got)
	}
}

// TestJSONPatchOfARegistrationNeedsItsApplicationInThePath: PATCH
// /api/user/registration/{userId} finds the application in a merge body's
// registration.applicationId, which an RFC 6902 array has not: 400
// [blank]registration.applicationId, the registration as it was; the
// /{userId}/{applicationId} form applies the same patch.
func TestJSONPatchOfARegistrationNeedsItsApplicationInThePath(t *testing.T) {
	s := newStack(t)
	reg := "/api/user/registration/" + aliceID + "/" + storeApp
	before := s.apiOK("GET", reg, nil)
	ops := `[{"op":"add","path":"/registration/timezone","value":"Europe/Paris"}]`
	res := s.jsonPatch("/api/user/registration/"+aliceID, ops)
	if res.status != 400 || !slices.Contains(errorCodes(t, res), "[blank]registration.applicationId") {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if after := s.apiOK("GET", reg, nil); !reflect.DeepEqual(after, before) {
		t.Fatalf("the registration changed at %v", changedLeaves("", before, after))
	}
	if res := s.jsonPatch(reg, ops); res.status != 200 {
		t.Fatalf("with the application in the path: %d %s", res.status, res.body)
	}
}
