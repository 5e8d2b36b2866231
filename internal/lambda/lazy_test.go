package lambda

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A body sees a user passed as JSON (what token minting passes, converted
// member by member as it reads them) exactly as it sees the same user
// passed as a map (converted whole before the call): reads, listing,
// JSON.stringify, for-in, writes and deletes give the same claims.
func TestPopulateJSONUserSameAsMap(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	l := jwtLambda("lazy", `function populate(jwt, user, registration) {
		jwt.color = user.data.favoriteColor;
		jwt.keys = Object.keys(user).join(",");
		jwt.view = JSON.stringify(user);
		var seen = [];
		for (var k in user) { seen.push(k); }
		jwt.forin = seen.join(",");
		jwt.has = ["email" in user, "nope" in user, user.hasOwnProperty("firstName")];
		jwt.missing = typeof user.nope;
		user.email = "changed@example.com";
		user.extra = {a: 1};
		delete user.firstName;
		jwt.after = JSON.stringify(user);
		jwt.role = registration.roles[0];
		jwt.reg = JSON.stringify(registration);
		try { Object.freeze(user); jwt.frozen = "yes"; } catch (e) { jwt.frozen = e.name; }
	}`)
	asMap := Input{Claims: baseClaims(), User: decode(testUser), Registration: decode(testRegistration)}
	asJSON := Input{Claims: baseClaims(), User: json.RawMessage(testUser), Registration: json.RawMessage(testRegistration)}
	fromMap := mustSucceed(t, e.Populate(context.Background(), l, asMap))
	fromJSON := mustSucceed(t, e.Populate(context.Background(), l, asJSON))
	delete(fromMap, "frozen")
	if fromJSON["frozen"] != "TypeError" {
		t.Errorf("Object.freeze(user) of a JSON user: %v, want a TypeError the body can catch", fromJSON["frozen"])
	}
	delete(fromJSON, "frozen")
	if !reflect.DeepEqual(fromMap, fromJSON) {
		t.Errorf("the body saw another user:\nmap:  %v\njson: %v", fromMap, fromJSON)
	}
	if fromJSON["keys"] != "data,email,firstName,id" || fromJSON["color"] != "teal" || fromJSON["role"] != "user" {
		t.Errorf("claims %v", fromJSON)
	}
	if want := `{"data":{"favoriteColor":"teal","plan":"gold"},"email":"changed@example.com","id":"8f9c3b1e-0000-4000-8000-000000000001","extra":{"a":1}}`; fromJSON["after"] != want {
		t.Errorf("after the changes the user is %v, want %s", fromJSON["after"], want)
	}
}

// A JSON user is the caller's bytes only until the call starts: changes the
// body makes never reach them, a JSON null or non-object user is converted
// as it is, and nil is undefined as for a map.
func TestPopulateJSONUserIsACopy(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	raw := json.RawMessage(testUser)
	before := string(raw)
	l := jwtLambda("copy", `function populate(jwt, user, registration) {
		jwt.kind = user === null ? "null" : typeof user;
		jwt.reg = typeof registration;
		if (user && user.data) { user.data.favoriteColor = "red"; user.id = "other"; }
	}`)
	c := mustSucceed(t, e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: raw}))
	if string(raw) != before || c["kind"] != "object" || c["reg"] != "undefined" {
		t.Errorf("user bytes %s, claims %v", raw, c)
	}
	for in, want := range map[string]string{"null": "null", `[1,2]`: "object", `"s"`: "string"} {
		c := mustSucceed(t, e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: json.RawMessage(in)}))
		if c["kind"] != want {
			t.Errorf("user %s seen as %v, want %s", in, c["kind"], want)
		}
	}
	r := e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: json.RawMessage(`{"a":`)})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "internal") {
		t.Errorf("malformed JSON user: %v, want the call to fail (claims unchanged)", r.Err)
	}
	if !reflect.DeepEqual(r.Claims, baseClaims()) {
		t.Errorf("claims changed by a failed call: %v", r.Claims)
	}
}

// TestPopulateJSONUserSpacedAndUnsorted: members are read from their place
// in the document whatever the spacing and order of the caller's JSON, and
// a member deleted and set again reads as set.
func TestPopulateJSONUserSpacedAndUnsorted(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	l := jwtLambda("spaced", `function populate(jwt, user) {
		jwt.view = JSON.stringify(user);
		jwt.z = user.z;
		delete user.a;
		jwt.gone = typeof user.a + "," + ("a" in user);
		user.a = "again";
		jwt.back = user.a + "," + Object.keys(user).join(",");
	}`)
	spaced := "{\n  \"z\" : [1, {\"k\": \"v\"}] ,\n\t\"a\":\"x\" , \"m\" : null,\"b\": {\"c\" :true}  }\n"
	c := mustSucceed(t, e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: json.RawMessage(spaced)}))
	if want := `{"a":"x","b":{"c":true},"m":null,"z":[1,{"k":"v"}]}`; c["view"] != want {
		t.Errorf("view = %v, want %s", c["view"], want)
	}
	if !reflect.DeepEqual(c["z"], []any{int64(1), map[string]any{"k": "v"}}) || c["gone"] != "undefined,false" || c["back"] != "again,b,m,z,a" {
		t.Errorf("claims %v", c)
	}
}

// TestPopulateJSONUserSplitOnlyWhenTouched: the user's JSON is split into
// members only when the body first touches the object, so a body that never
// reads the user does not pay for it. A malformed document shows when it
// is split: a body that reads it fails as before, one that never touches it
// runs (token minting only passes documents encoding/json wrote).
func TestPopulateJSONUserSplitOnlyWhenTouched(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	malformed := Input{Claims: baseClaims(), User: json.RawMessage(`{"a": 1, "b": [`)}
	untouched := jwtLambda("untouched", `function populate(jwt, user) { jwt.kind = typeof user; }`)
	if c := mustSucceed(t, e.Populate(context.Background(), untouched, malformed)); c["kind"] != "object" {
		t.Errorf("user seen as %v, want object", c["kind"])
	}
	for name, read := range map[string]string{"member": `user.a`, "listing": `Object.keys(user)`,
		"in": `"a" in user`, "write": `user.c = 1`, "delete": `delete user.a`} {
		l := jwtLambda("touch-"+name, `function populate(jwt, user) { `+read+`; jwt.ran = true; }`)
		r := e.Populate(context.Background(), l, malformed)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "internal") || r.Claims["ran"] != nil {
			t.Errorf("%s of a malformed user: %v %v, want the call to fail (claims unchanged)", name, r.Err, r.Claims)
		}
	}
}
