package server_test

import (
	"encoding/base64"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// apiKeyIDs lists the ids GET /api/api-key shows to the key caller.
func (s *stack) apiKeyIDs(caller string) []string {
	s.t.Helper()
	var ids []string
	for _, k := range s.apiOK("GET", "/api/api-key", nil, "Authorization", caller)["apiKeys"].([]any) {
		ids = append(ids, k.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	return ids
}

// createdID is the id of the key a POST /api/api-key answer carries.
func createdID(created map[string]any) string {
	return created["apiKey"].(map[string]any)["id"].(string)
}

// fieldCodes are the codes of a FusionAuth 400 body's fieldErrors[field].
func fieldCodes(t *testing.T, res result, field string) []string {
	t.Helper()
	if res.status != 400 {
		t.Fatalf("status %d %s, want 400", res.status, res.body)
	}
	var codes []string
	errs, _ := res.json(t)["fieldErrors"].(map[string]any)
	for _, e := range errs[field].([]any) {
		codes = append(codes, e.(map[string]any)["code"].(string))
	}
	return codes
}

// TestAPIKeyListShowsOnlyKeysTheCallerCouldRetrieve: GET /api/api-key
// follows the rule of GET /api/api-key/{id} (a key manager holding
// permissions equal to or greater than the key's). A manager restricted
// to some endpoints is shown only the keys within its permissions, not a
// super key, another key manager (itself included) or a key granting a
// method it lacks; each key it is shown it can retrieve, each one hidden
// is refused one by one too. A super key manager sees every key.
func TestAPIKeyListShowsOnlyKeysTheCallerCouldRetrieve(t *testing.T) {
	s := newStack(t)
	const limited = "limited-lister-0123456789abcdef0123456789abcdef"
	key := func(perms map[string]any, manager bool) string {
		return createdID(s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"keyManager": manager,
			"permissions": map[string]any{"endpoints": perms}}}))
	}
	limitedID := createdID(s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": limited, "keyManager": true,
		"permissions": map[string]any{"endpoints": map[string]any{"/api/api-key": []string{"POST", "GET", "PUT", "DELETE"}, "/api/user": []string{"GET"}}}}}))
	reader := key(map[string]any{"/api/user": []string{"GET"}}, false)
	hidden := []string{
		limitedID,
		key(map[string]any{}, false), // a super key
		key(map[string]any{"/api/user": []string{"GET", "POST"}}, false),
		key(map[string]any{"/api/tenant": []string{"GET"}}, false),
		key(map[string]any{"/api/user": []string{"GET"}}, true), // a key manager
	}
	all := s.apiKeyIDs(apiKey)
	if len(all) < len(hidden)+2 {
		t.Fatalf("a super key manager lists %d keys: %v", len(all), all)
	}
	if got := s.apiKeyIDs(limited); !reflect.DeepEqual(got, []string{reader}) {
		t.Fatalf("the limited manager lists %v, want only %s", got, reader)
	}
	if res := s.api("GET", "/api/api-key/"+reader, nil, "Authorization", limited); res.status != 200 {
		t.Fatalf("the listed key, one by one: %d %s", res.status, res.body)
	}
	for _, id := range hidden {
		if res := s.api("GET", "/api/api-key/"+id, nil, "Authorization", limited); res.status != 401 {
			t.Errorf("hidden key %s, one by one: %d %s, want 401", id, res.status, res.body)
		}
	}
}

// TestAPIKeyAttributesKept: metaData.attributes other than description are
// stored as given (FusionAuth keeps the map): the create answer, GET, the
// listing and an update show what was saved, and an update replaces the
// whole map.
func TestAPIKeyAttributesKept(t *testing.T) {
	s := newStack(t)
	attrs := func(k map[string]any) map[string]any {
		return k["metaData"].(map[string]any)["attributes"].(map[string]any)
	}
	created := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{
		"metaData": map[string]any{"attributes": map[string]any{"description": "d", "owner": "bob"}}}})["apiKey"].(map[string]any)
	id := created["id"].(string)
	want := map[string]any{"description": "d", "owner": "bob"}
	if got := attrs(created); !reflect.DeepEqual(got, want) {
		t.Fatalf("create answer: %v, want %v", got, want)
	}
	if got := attrs(s.apiOK("GET", "/api/api-key/"+id, nil)["apiKey"].(map[string]any)); !reflect.DeepEqual(got, want) {
		t.Fatalf("GET after create: %v, want %v", got, want)
	}

	want = map[string]any{"description": "e", "team": "ops"}
	updated := s.apiOK("PUT", "/api/api-key/"+id, map[string]any{"apiKey": map[string]any{
		"metaData": map[string]any{"attributes": want}}})["apiKey"].(map[string]any)
	if got := attrs(updated); !reflect.DeepEqual(got, want) {
		t.Fatalf("update answer: %v, want %v", got, want)
	}
	if got := attrs(s.apiOK("GET", "/api/api-key/"+id, nil)["apiKey"].(map[string]any)); !reflect.DeepEqual(got, want) {
		t.Fatalf("GET after update: %v, want %v", got, want)
	}
	for _, k := range s.apiOK("GET", "/api/api-key", nil)["apiKeys"].([]any) {
		if k := k.(map[string]any); k["id"] == id && !reflect.DeepEqual(attrs(k), want) {
			t.Fatalf("listing: %v, want %v", attrs(k), want)
		}
	}
}

// TestAPIKeyValuesThatCannotAuthenticateRefused: a key value the raw
// Authorization header cannot carry verbatim (surrounding or inner
// whitespace, control characters, non-ASCII) is refused on create and on
// update with [invalid]apiKey.key, and one under 16 characters (counted as
// characters, not bytes) with [tooShort]apiKey.key. Nothing is stored: the
// listing is unchanged, the value works neither raw nor through Basic, and
// an updated key keeps its old value. Every visible ASCII character is
// accepted, and such a key works raw and through Basic.
func TestAPIKeyValuesThatCannotAuthenticateRefused(t *testing.T) {
	s := newStack(t)
	const old = "kept-value-0123456789abcdef0123456789abcdef"
	id := createdID(s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": old}}))
	before := s.apiKeyIDs(apiKey)
	works := func(value string) bool {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+value))
		// Go's client refuses to send a header value with control characters.
		sendable := !strings.ContainsFunc(value, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f })
		return s.api("GET", "/api/tenant", nil, "Authorization", basic).status == 200 ||
			(sendable && s.api("GET", "/api/tenant", nil, "Authorization", value).status == 200)
	}
	for _, c := range []struct {
		name, value string
		want        []string
	}{
		{"spaces around", "  spaces-around-key-xx  ", []string{"[invalid]apiKey.key"}},
		{"space inside", "space inside-key-0123456789", []string{"[invalid]apiKey.key"}},
		{"scheme-like", "Bearer 0123456789abcdef0123", []string{"[invalid]apiKey.key"}},
		{"newlines", strings.Repeat("\n", 17), []string{"[invalid]apiKey.key"}},
		{"tab", "tab\tinside-0123456789abcdef", []string{"[invalid]apiKey.key"}},
		{"DEL", "del\x7f-0123456789abcdef", []string{"[invalid]apiKey.key"}},
		{"non-ASCII, 18 bytes", "ééééééééé", []string{"[tooShort]apiKey.key", "[invalid]apiKey.key"}},
		{"non-ASCII, long", "schlüssel-0123456789abcdef", []string{"[invalid]apiKey.key"}},
		{"15 characters", "0123456789abcde", []string{"[tooShort]apiKey.key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.api("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": c.value}})
			if got := fieldCodes(t, res, "apiKey.key"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("create: %v, want %v", got, c.want)
			}
			res = s.api("PUT", "/api/api-key/"+id, map[string]any{"apiKey": map[string]any{"key": c.value}})
			if got := fieldCodes(t, res, "apiKey.key"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("update: %v, want %v", got, c.want)
			}
			if got := s.apiKeyIDs(apiKey); !reflect.DeepEqual(got, before) {
				t.Errorf("keys after the refusals: %v, want %v", got, before)
			}
			if works(c.value) {
				t.Error("the refused value authenticates")
			}
			if !works(old) {
				t.Error("the updated key lost its value")
			}
		})
	}

	var visible []byte
	for c := byte('!'); c <= '~'; c++ {
		visible = append(visible, c)
	}
	s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": string(visible)}})
	if res := s.api("GET", "/api/tenant", nil, "Authorization", string(visible)); res.status != 200 {
		t.Fatalf("a key of every visible ASCII character, raw: %d", res.status)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+string(visible)))
	if res := s.api("GET", "/api/tenant", nil, "Authorization", basic); res.status != 200 {
		t.Fatalf("a key of every visible ASCII character, Basic: %d", res.status)
	}
}

// TestAPIKeyEndpointsThatGrantNothingRefused: permissions.endpoints naming
// an endpoint latchkey does not serve, an endpoint with no method, or a
// method other than GET, POST, PUT, PATCH, DELETE would grant nothing,
// silently; create and update refuse them with
// [invalid]apiKey.permissions.endpoints, as Kickstart does. Nothing is
// stored: no key is added and the updated key keeps its permissions.
func TestAPIKeyEndpointsThatGrantNothingRefused(t *testing.T) {
	s := newStack(t)
	perms := map[string]any{"/api/user": []any{"GET"}}
	id := createdID(s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{
		"permissions": map[string]any{"endpoints": perms}}}))
	before := s.apiKeyIDs(apiKey)
	for _, c := range []struct {
		name      string
		endpoints map[string]any
	}{
		{"unknown endpoint", map[string]any{"/api/nonexistent": []string{"GET"}}},
		{"plural typo", map[string]any{"/api/users": []string{"GET"}, "/api/user": []string{"GET"}}},
		{"no /api/ prefix", map[string]any{"user": []string{"GET"}}},
		{"sub-path", map[string]any{"/api/user/" + aliceID: []string{"GET"}}},
		{"no methods", map[string]any{"/api/user": []string{}}},
		{"unknown method", map[string]any{"/api/user": []string{"GET", "FETCH"}}},
		{"lower-case method", map[string]any{"/api/user": []string{"get"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"apiKey": map[string]any{"permissions": map[string]any{"endpoints": c.endpoints}}}
			want := []string{"[invalid]apiKey.permissions.endpoints"}
			if got := fieldCodes(t, s.api("POST", "/api/api-key", body), "apiKey.permissions.endpoints"); !reflect.DeepEqual(got, want) {
				t.Errorf("create: %v, want %v", got, want)
			}
			if got := fieldCodes(t, s.api("PUT", "/api/api-key/"+id, body), "apiKey.permissions.endpoints"); !reflect.DeepEqual(got, want) {
				t.Errorf("update: %v, want %v", got, want)
			}
			if got := s.apiKeyIDs(apiKey); !reflect.DeepEqual(got, before) {
				t.Errorf("keys after the refusals: %v, want %v", got, before)
			}
			k := s.apiOK("GET", "/api/api-key/"+id, nil)["apiKey"].(map[string]any)
			if got := k["permissions"].(map[string]any)["endpoints"]; !reflect.DeepEqual(got, perms) {
				t.Errorf("the updated key's permissions: %v, want %v", got, perms)
			}
		})
	}
}
