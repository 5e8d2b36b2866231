package password

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func codes(errs []FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Code)
		if !strings.HasPrefix(e.Message, "The [") {
			panic("message without the field: " + e.Message)
		}
	}
	return out
}

// TestValidateRules: each rule at its boundary, with FusionAuth's codes,
// and FusionAuth's reporting (length errors plus the first failing class).
func TestValidateRules(t *testing.T) {
	all := Rules{MinLength: 8, MaxLength: 12, RequireMixedCase: true, RequireNonAlpha: true, RequireNumber: true}
	tests := []struct {
		name  string
		rules Rules
		plain string
		want  []string
	}{
		{"min length − 1", Rules{MinLength: 8, MaxLength: 256}, "1234567", []string{"[tooShort]password"}},
		{"min length", Rules{MinLength: 8, MaxLength: 256}, "12345678", nil},
		{"max length", Rules{MinLength: 1, MaxLength: 10}, "1234567890", nil},
		{"max length + 1", Rules{MinLength: 1, MaxLength: 10}, "12345678901", []string{"[tooLong]password"}},
		{"lower only", all, "abcdef1!", []string{"[singleCase]password"}},
		{"upper only", all, "ABCDEF1!", []string{"[singleCase]password"}},
		{"letters and digits only", all, "Abcdef12", []string{"[onlyAlpha]password"}},
		{"no digit", all, "Abcdefg!", []string{"[requireNumber]password"}},
		{"all three met", all, "Abcdef1!", nil},
		{"space is non-alphanumeric", all, "Abcdef1 ", nil},
		{"first failing class only", all, "abcdefgh", []string{"[singleCase]password"}},
		{"length and class together", all, "abc", []string{"[tooShort]password", "[singleCase]password"}},
		{"too long and class", all, strings.Repeat("a", 13), []string{"[tooLong]password", "[singleCase]password"}},
		// Unicode, with Java's char predicates.
		{"accented mixed case", all, "Ünïcödé1!", nil},
		{"Greek mixed case", all, "Ωμέγα12!", nil},
		{"Arabic-Indic digit is a number", all, "Abcdef!٣", nil},
		{"Roman numeral is not a number", all, "Abcdef!Ⅻ", []string{"[requireNumber]password"}},
		{"emoji is non-alphanumeric", all, "Abcdef1🔑", nil},
		{"math bold capital is not upper case in Java", all, "𝐀bcdef1!", []string{"[singleCase]password"}},
		{"rules off", Rules{MinLength: 1, MaxLength: 256}, "a", nil},
		{"blank is not Validate's", all, "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codes(tt.rules.Validate(tt.plain, "password", LoginIDs{})); !slices.Equal(got, tt.want) {
				t.Fatalf("Validate(%q) = %v, want %v", tt.plain, got, tt.want)
			}
		})
	}
}

// TestLengthCountsUTF16: FusionAuth (Java String.length) and the browser
// (input.value.length) count UTF-16 code units, not bytes and not code
// points: é and 漢 are one, an emoji two.
func TestLengthCountsUTF16(t *testing.T) {
	rules := Rules{MinLength: 8, MaxLength: 8}
	for plain, want := range map[string][]string{
		"éééééééé":                   nil, // 8 characters, 16 bytes
		"漢字漢字漢字漢字":                   nil, // 8 characters, 24 bytes
		"🔑🔑🔑🔑":                       nil, // 4 code points, 8 UTF-16 units
		"🔑🔑🔑a":                       {"[tooShort]user.password"},
		"🔑🔑🔑🔑a":                      {"[tooLong]user.password"},
		strings.Repeat("e\u0301", 4): nil, // 4 visible é, 8 code units: Java counts each combining mark
	} {
		if got := codes(rules.Validate(plain, "user.password", LoginIDs{})); !slices.Equal(got, want) {
			t.Errorf("Validate(%q) = %v, want %v", plain, got, want)
		}
	}
	if Length("🔑") != 2 || Length("é") != 1 || Length("") != 0 {
		t.Fatal("Length disagrees with UTF-16")
	}
}

func TestDisallowUserLoginID(t *testing.T) {
	r := Rules{MinLength: 1, MaxLength: 256, DisallowUserLoginID: true}
	ids := LoginIDs{Email: "Alice@Example.com", Username: "alice77", Phone: "+1 555-0100"}
	for plain, want := range map[string]string{
		"my alice@example.COM pass": "[containsEmail]password",
		"xxALICE77xx":               "[containsUsername]password",
		"call +1 555-0100 now":      "[containsPhoneNumber]password",
		"digits 15550100 only":      "[containsPhoneNumber]password",
		"alice-and-bob":             "",
	} {
		got := codes(r.Validate(plain, "password", ids))
		if (want == "" && got != nil) || (want != "" && !slices.Equal(got, []string{want})) {
			t.Errorf("Validate(%q) = %v, want %q", plain, got, want)
		}
	}
	if got := r.Validate("anything", "password", LoginIDs{}); got != nil {
		t.Fatalf("empty identities matched: %v", got)
	}
}

// TestPublicRulesJSON: the keyless rules endpoint's body for FusionAuth's
// default tenant, byte for byte as FusionAuth sends it (accounts spec §9.1).
func TestPublicRulesJSON(t *testing.T) {
	r := DefaultRules()
	r.BreachDetection = BreachDetection{Enabled: true, MatchMode: "High", OnLogin: "RequireChange"}
	b, err := json.Marshal(map[string]any{"passwordValidationRules": r.Public()})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"passwordValidationRules":{"disallowUserLoginId":false,"maxLength":256,"minLength":8,"rememberPreviousPasswords":{"count":1,"enabled":false},"requireMixedCase":false,"requireNonAlpha":false,"requireNumber":false,"validateOnLogin":false}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	// The full rules round-trip through FusionAuth's tenant JSON names.
	var back Rules
	full, _ := json.Marshal(r)
	if err := json.Unmarshal(full, &back); err != nil || back != r || !strings.Contains(string(full), `"breachDetection":{"enabled":true,"matchMode":"High","onLogin":"RequireChange"}`) {
		t.Fatalf("tenant JSON %s round-trips to %+v (%v)", full, back, err)
	}
}
