package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// exactNumbers are numbers a float64 would change or re-spell: beyond 2^53,
// beyond int64, negative zero and a decimal fraction.
const exactNumbers = `{"big":9007199254740993,"huge":12345678901234567890,"negzero":-0,"tenth":0.1}`

// TestDataNumbersRoundTripExactly: a number in data comes back exactly as it
// was sent, through POST, PUT and both PATCH forms and the GET after each,
// for a user, a registration and an application (FusionAuth keeps them;
// a float64 turned 9007199254740993 into 9007199254740992).
func TestDataNumbersRoundTripExactly(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	wantData := func(t *testing.T, what string, body []byte, want string) {
		t.Helper()
		if !bytes.Contains(body, []byte(`"data":`+want)) {
			t.Fatalf("%s: want data %s in\n%s", what, want, body)
		}
	}
	merged := `{"big":9007199254740993,"huge":12345678901234567890,"more":-18446744073709551617.5e-3,"negzero":-0,"tenth":0.1}`
	kinds := []struct {
		name, create, get, put, patch, wrap string
	}{
		{"application", "/api/application/" + appID, "/api/application/" + appID, "/api/application/" + appID,
			"/api/application/" + appID, `{"application":{"name":"Store","data":%s}}`},
		{"user", "/api/user/" + userID, "/api/user/" + userID, "/api/user/" + userID,
			"/api/user/" + userID, `{"user":{"email":"bignum@example.com","password":"correct horse","data":%s}}`},
		{"registration", "/api/user/registration/" + userID, "/api/user/registration/" + userID + "/" + appID,
			"/api/user/registration/" + userID + "/" + appID, "/api/user/registration/" + userID + "/" + appID,
			`{"registration":{"applicationId":"` + appID + `","data":%s}}`},
	}
	body := func(wrap, data string) string { return strings.Replace(wrap, "%s", data, 1) }
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, s := range []struct {
				step, method, path, body, want string
				headers                        []string
			}{
				{"create", "POST", k.create, body(k.wrap, exactNumbers), exactNumbers, nil},
				{"put", "PUT", k.put, body(k.wrap, exactNumbers), exactNumbers, nil},
				{"patch", "PATCH", k.patch, body(k.wrap, `{"more":-18446744073709551617.5e-3}`), merged, nil},
				{"merge patch", "PATCH", k.patch, body(k.wrap, `{"more":null}`), exactNumbers,
					[]string{"Content-Type", "application/merge-patch+json"}},
			} {
				resp, got := in.Do(t, s.method, s.path, s.body, s.headers...)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d %s", s.step, resp.StatusCode, got)
				}
				wantData(t, s.step, got, s.want)
				_, got = in.Do(t, "GET", k.get, nil)
				wantData(t, "GET after "+s.step, got, s.want)
			}
		})
	}
	t.Run("user search", func(t *testing.T) {
		_, got := in.Do(t, "GET", "/api/user/search?queryString=bignum", nil)
		wantData(t, "search", got, exactNumbers)
	})
}

// TestDataNumberBeyondFloatRangeRefused: a number no float64 can hold
// (1e400: no JavaScript lambda or most clients could carry it, and
// FusionAuth would turn it into "Infinity") is refused with the member's
// path, on create and update, and nothing changes; one that merely
// underflows is kept as sent.
func TestDataNumberBeyondFloatRangeRefused(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	user := func(data string) string {
		return `{"user":{"email":"bignum@example.com","password":"correct horse","data":` + data + `}}`
	}
	for _, data := range []string{`{"inf":1e400}`, `{"inf":[-1E+309]}`} {
		resp, got := in.Do(t, "POST", "/api/user/"+userID, user(data))
		if resp.StatusCode != 400 || !strings.Contains(string(got), `[invalid]user.data.inf`) {
			t.Fatalf("create with %s: %d %s; want 400 [invalid]user.data.inf", data, resp.StatusCode, got)
		}
	}
	if resp, _ := in.Do(t, "GET", "/api/user/"+userID, nil); resp.StatusCode != 404 {
		t.Fatalf("refused user stored: GET = %d", resp.StatusCode)
	}
	if resp, got := in.Do(t, "POST", "/api/user/"+userID, user(`{"tiny":1e-400}`)); resp.StatusCode != 200 ||
		!strings.Contains(string(got), `"data":{"tiny":1e-400}`) {
		t.Fatalf("create with 1e-400: %d %s", resp.StatusCode, got)
	}
	_, before := in.Do(t, "GET", "/api/user/"+userID, nil)
	for _, m := range []string{"PUT", "PATCH"} {
		resp, got := in.Do(t, m, "/api/user/"+userID, user(`{"inf":1e400}`))
		if resp.StatusCode != 400 || !strings.Contains(string(got), `[invalid]user.data.inf`) {
			t.Fatalf("%s: %d %s; want 400 [invalid]user.data.inf", m, resp.StatusCode, got)
		}
	}
	if _, after := in.Do(t, "GET", "/api/user/"+userID, nil); !bytes.Equal(before, after) {
		t.Fatalf("refused updates changed the user:\n%s\n%s", before, after)
	}
}
