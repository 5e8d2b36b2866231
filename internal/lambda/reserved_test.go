package lambda

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReservedClaimsCannotChange tries, for every reserved claim, each way a
// body can touch it: change, delete, set to null, change its type, and
// (for claims the token does not carry) add it. The token keeps exactly
// what the caller gave, and the attempt is reported and logged.
func TestReservedClaimsCannotChange(t *testing.T) {
	e, logs := newTestEngine(t, Config{})
	attempts := map[string]string{
		"change":   `jwt[%q] = "attacker";`,
		"number":   `jwt[%q] = 4102444800;`,
		"delete":   `delete jwt[%q];`,
		"null":     `jwt[%q] = null;`,
		"object":   `jwt[%q] = {jkt: "attacker-key"};`,
		"mutate":   `if (jwt[%[1]q] && typeof jwt[%[1]q] === "object") jwt[%[1]q].jkt = "attacker-key"; else jwt[%[1]q] = "x";`,
		"property": `Object.defineProperty(jwt, %q, {value: "x", enumerable: true});`,
	}
	for _, claim := range Reserved {
		for how, tmpl := range attempts {
			t.Run(claim+"/"+how, func(t *testing.T) {
				in := baseClaims()
				body := "function populate(jwt) { " + strings.ReplaceAll(tmpl, "%[1]q", "%q") + " jwt.other = 1; }"
				body = strings.ReplaceAll(body, "%q", strconvQuote(claim))
				r := populate(t, e, body)
				claims := mustSucceed(t, r)
				was, had := in[claim]
				got, has := claims[claim]
				if had != has || had && !reflect.DeepEqual(got, was) {
					t.Errorf("%s: got %#v (present %v), want %#v (present %v)", claim, got, has, was, had)
				}
				if claims["other"] != int64(1) {
					t.Errorf("the lambda's other claim was lost: %v", claims["other"])
				}
				changed := had || how != "delete" && how != "null"
				if changed != slices.Contains(r.Restored, claim) {
					t.Errorf("Restored = %v; claim %s changed: %v", r.Restored, claim, changed)
				}
			})
		}
	}
	if !strings.Contains(logs.String(), `"claims":["`) || !strings.Contains(logs.String(), "reserved") {
		t.Errorf("restorations were not logged: %.300s", logs)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestReservedListCoversWhatResourceServersTrust(t *testing.T) {
	// jwtverify and the revocation feed trust these (docs/decisions.md,
	// "Reserved claims"); removing one from Reserved must fail here.
	for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "applicationId", "sid", "cnf", "tid", "scope", "auth_time", "amr", "nonce", "at_hash"} {
		if !slices.Contains(Reserved, c) {
			t.Errorf("%s is not reserved", c)
		}
	}
	// FusionAuth's main use of lambdas is adding roles and profile data.
	for _, c := range []string{"roles", "email", "email_verified", "preferred_username", "name"} {
		if slices.Contains(Reserved, c) {
			t.Errorf("%s is reserved; FusionAuth lets lambdas set it", c)
		}
	}
}
