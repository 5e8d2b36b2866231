package jsonpatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// limit is the bound the tests pass Apply: latchkey's body limit.
const limit = 64 << 10

// same reports whether two JSON texts hold the same value.
func same(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("result %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

// TestApply: each of RFC 6902's operations on a FusionAuth-shaped
// request, and several in one patch applied in order.
func TestApply(t *testing.T) {
	doc := `{"user":{"firstName":"Alice","data":{"k":1},"preferredLanguages":["en","fr"]}}`
	tests := []struct{ name, patch, want string }{
		{"add a member", `[{"op":"add","path":"/user/lastName","value":"Smith"}]`,
			`{"user":{"firstName":"Alice","lastName":"Smith","data":{"k":1},"preferredLanguages":["en","fr"]}}`},
		{"add to the end of an array", `[{"op":"add","path":"/user/preferredLanguages/-","value":"de"}]`,
			`{"user":{"firstName":"Alice","data":{"k":1},"preferredLanguages":["en","fr","de"]}}`},
		{"add inside an array", `[{"op":"add","path":"/user/preferredLanguages/1","value":"de"}]`,
			`{"user":{"firstName":"Alice","data":{"k":1},"preferredLanguages":["en","de","fr"]}}`},
		{"remove an array element", `[{"op":"remove","path":"/user/preferredLanguages/0"}]`,
			`{"user":{"firstName":"Alice","data":{"k":1},"preferredLanguages":["fr"]}}`},
		{"replace", `[{"op":"replace","path":"/user/firstName","value":"Alicia"}]`,
			`{"user":{"firstName":"Alicia","data":{"k":1},"preferredLanguages":["en","fr"]}}`},
		{"move", `[{"op":"move","from":"/user/data/k","path":"/user/data/j"}]`,
			`{"user":{"firstName":"Alice","data":{"j":1},"preferredLanguages":["en","fr"]}}`},
		{"copy", `[{"op":"copy","from":"/user/firstName","path":"/user/data/name"}]`,
			`{"user":{"firstName":"Alice","data":{"k":1,"name":"Alice"},"preferredLanguages":["en","fr"]}}`},
		{"test then replace", `[{"op":"test","path":"/user/firstName","value":"Alice"},{"op":"replace","path":"/user/firstName","value":"Bob"}]`,
			`{"user":{"firstName":"Bob","data":{"k":1},"preferredLanguages":["en","fr"]}}`},
		{"escaped names", `[{"op":"add","path":"/user/data/a~1b~0c","value":true}]`,
			`{"user":{"firstName":"Alice","data":{"k":1,"a/b~c":true},"preferredLanguages":["en","fr"]}}`},
		{"empty patch", `[]`, doc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply([]byte(doc), []byte(tt.patch), limit)
			if err != nil {
				t.Fatal(err)
			}
			if !same(t, got, tt.want) {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestApplyKeepsNumbersAsSent: a number the patch adds, and one the
// document had, come out spelled as they went in.
func TestApplyKeepsNumbersAsSent(t *testing.T) {
	got, err := Apply([]byte(`{"data":{"big":12345678901234567890}}`),
		[]byte(`[{"op":"add","path":"/data/exact","value":9007199254740993}]`), limit)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"12345678901234567890", "9007199254740993"} {
		if !strings.Contains(string(got), n) {
			t.Errorf("%s lost %s", got, n)
		}
	}
}

// TestRefusals: every patch that is not one, does not apply, fails its
// test or grows too much is refused with its kind.
func TestRefusals(t *testing.T) {
	doc := `{"user":{"firstName":"Alice","preferredLanguages":["en"],"data":{"big":"` + strings.Repeat("x", 40<<10) + `"}}}`
	many := func(n int) string {
		ops := make([]string, n)
		for i := range ops {
			ops[i] = `{"op":"test","path":"/user/firstName","value":"Alice"}`
		}
		return "[" + strings.Join(ops, ",") + "]"
	}
	// doubling copies /user/data into itself n times: 40 KiB × 2^n.
	doubling := func(n int) string {
		ops := make([]string, n)
		for i := range ops {
			ops[i] = fmt.Sprintf(`{"op":"copy","from":"/user/data","path":"/user/data/c%d"}`, i)
		}
		return "[" + strings.Join(ops, ",") + "]"
	}
	tests := []struct {
		name, patch string
		kind        Kind
	}{
		{"not JSON", `[{"op":`, Malformed},
		{"an object", `{"user":{"firstName":"Bob"}}`, Malformed},
		{"a string", `"add"`, Malformed},
		{"null", `null`, Malformed},
		{"an operation that is not an object", `[["add"]]`, Malformed},
		{"no op", `[{"path":"/user/firstName","value":"x"}]`, Malformed},
		{"op not a string", `[{"op":1,"path":"/user/firstName","value":"x"}]`, Malformed},
		{"unknown op", `[{"op":"merge","path":"/user/firstName","value":"x"}]`, Malformed},
		{"no path", `[{"op":"remove"}]`, Malformed},
		{"path not a string", `[{"op":"remove","path":1}]`, Malformed},
		{"path not a pointer", `[{"op":"remove","path":"user/firstName"}]`, Malformed},
		{"bad escape", `[{"op":"remove","path":"/user/a~2"}]`, Malformed},
		{"add without value", `[{"op":"add","path":"/user/lastName"}]`, Malformed},
		{"replace without value", `[{"op":"replace","path":"/user/firstName"}]`, Malformed},
		{"test without value", `[{"op":"test","path":"/user/firstName"}]`, Malformed},
		{"copy without from", `[{"op":"copy","path":"/user/lastName"}]`, Malformed},
		{"move with a bad from", `[{"op":"move","from":"firstName","path":"/user/lastName"}]`, Malformed},
		{"duplicate member", `[{"op":"remove","op":"add","path":"/user/x","value":1}]`, Malformed},
		{"invalid UTF-8", "[{\"op\":\"add\",\"path\":\"/user/x\",\"value\":\"\xff\"}]", Malformed},
		{"a bad operation after good ones", `[{"op":"replace","path":"/user/firstName","value":"Bob"},{"op":"nope","path":""}]`, Malformed},
		{"too many operations", many(MaxOperations + 1), TooManyOperations},
		{"remove a missing member", `[{"op":"remove","path":"/user/lastName"}]`, NotApplicable},
		{"replace a missing member", `[{"op":"replace","path":"/user/lastName","value":"x"}]`, NotApplicable},
		{"add under a missing parent", `[{"op":"add","path":"/user/address/city","value":"x"}]`, NotApplicable},
		{"index past the end", `[{"op":"add","path":"/user/preferredLanguages/5","value":"x"}]`, NotApplicable},
		{"negative index", `[{"op":"remove","path":"/user/preferredLanguages/-1"}]`, NotApplicable},
		{"move from a missing member", `[{"op":"move","from":"/user/nope","path":"/user/x"}]`, NotApplicable},
		{"result not an object", `[{"op":"replace","path":"","value":[1]}]`, NotApplicable},
		{"test of another value", `[{"op":"test","path":"/user/firstName","value":"Bob"},{"op":"replace","path":"/user/firstName","value":"Carol"}]`, TestFailed},
		{"test of a missing member", `[{"op":"test","path":"/user/lastName","value":"x"}]`, TestFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply([]byte(doc), []byte(tt.patch), limit)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %.100s, %v; want a refusal", got, err)
			}
			if pe.Kind != tt.kind {
				t.Fatalf("kind %d (%s), want %d", pe.Kind, pe.Reason, tt.kind)
			}
			if pe.Reason == "" || len(pe.Reason) > 400 || strings.Contains(pe.Reason, "not valid JSON") != (tt.name == "not JSON" || tt.name == "duplicate member" || tt.name == "invalid UTF-8") {
				t.Fatalf("reason %q", pe.Reason)
			}
		})
	}
	// Two bounds refuse growth: the copies' bytes, and the result's.
	for _, tt := range []struct{ name, patch, reason string }{
		{"copies doubling a value", doubling(12), "copies more than"},
		{"a value making the result larger than the limit", `[{"op":"add","path":"/user/data/more","value":"` + strings.Repeat("y", limit) + `"}]`, "at most"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply([]byte(doc), []byte(tt.patch), limit)
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != TooLarge || !strings.Contains(pe.Reason, tt.reason) {
				t.Fatalf("%v, want a TooLarge refusal saying %q", err, tt.reason)
			}
		})
	}
	t.Run("at most operations", func(t *testing.T) {
		if _, err := Apply([]byte(doc), []byte(many(MaxOperations)), limit); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTestOfArraysWithNullIsRefused: the library dereferences the null
// of an array a test compares (evanphx/json-patch v5.9.11); such a patch
// is refused as not applicable, never a panic (a documented limitation).
func TestTestOfArraysWithNullIsRefused(t *testing.T) {
	doc := []byte(`{"a":[null,1]}`)
	for _, value := range []string{`[null,1]`, `[2,1]`} {
		var pe *Error
		_, err := Apply(doc, []byte(`[{"op":"test","path":"/a","value":`+value+`}]`), limit)
		if !errors.As(err, &pe) || pe.Kind != NotApplicable {
			t.Fatalf("test of %s: %v", value, err)
		}
	}
	if _, err := Apply(doc, []byte(`[{"op":"test","path":"/a/1","value":1},{"op":"remove","path":"/a/0"}]`), limit); err != nil {
		t.Fatalf("a test of a member beside the null: %v", err)
	}
}

// FuzzApply: for any object and any patch, Apply answers a patched JSON
// object no larger than the larger of the object and the limit, or an *Error; never a panic or
// another error. A patch of tests only that applies leaves the object
// as it was.
func FuzzApply(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":1,"b":[1,2,{"c":null}]}`, `[{"op":"copy","from":"/b","path":"/b/-"},{"op":"move","from":"/a","path":"/b/0"}]`},
		{`{"a":[null]}`, `[{"op":"test","path":"/a","value":[null]}]`},
		{`{"user":{"firstName":"A"}}`, `[{"op":"test","path":"/user/firstName","value":"A"}]`},
		{`{"a":{}}`, `[{"op":"add","path":"","value":{"x":1}},{"op":"remove","path":"/x"}]`},
		{`{"a":"b"}`, `[{"op":"replace","path":"/","value":1}]`},
		{`{"a":[1]}`, `[{"op":"copy","from":"/a","path":"/a/0"},{"op":"copy","from":"/a","path":"/a/0"}]`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, doc, patch string) {
		var obj map[string]any
		if json.Unmarshal([]byte(doc), &obj) != nil || obj == nil {
			return
		}
		out, err := Apply([]byte(doc), []byte(patch), limit)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%s on %s: %T %v", patch, doc, err, err)
			}
			return
		}
		var got map[string]any
		if json.Unmarshal(out, &got) != nil || got == nil {
			t.Fatalf("%s on %s gave %s, not an object", patch, doc, out)
		}
		if len(out) > max(len(doc), limit) {
			t.Fatalf("grew from %d to %d bytes", len(doc), len(out))
		}
		var ops []map[string]any
		_ = json.Unmarshal([]byte(patch), &ops)
		for _, op := range ops {
			if op["op"] != "test" {
				return
			}
		}
		if !reflect.DeepEqual(got, obj) {
			t.Fatalf("tests only changed %s to %s", doc, out)
		}
	})
}

// TestResultAtMostTheLargerOfDocumentAndLimit: a patch may fill a small
// document up to the limit, byte for byte, and not one byte past it; a
// document already over the limit may be patched but never grow.
func TestResultAtMostTheLargerOfDocumentAndLimit(t *testing.T) {
	tooLarge := func(t *testing.T, err error) {
		t.Helper()
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != TooLarge {
			t.Fatalf("%v, want a TooLarge refusal", err)
		}
	}
	small := []byte(`{"data":{}}`)
	fill := func(n int) []byte { // a patch making small exactly n bytes long
		return []byte(`[{"op":"add","path":"/data/f","value":"` + strings.Repeat("x", n-len(`{"data":{"f":""}}`)) + `"}]`)
	}
	if out, err := Apply(small, fill(limit), limit); err != nil || len(out) != limit {
		t.Fatalf("up to the limit: %d bytes, %v", len(out), err)
	}
	_, err := Apply(small, fill(limit+1), limit)
	tooLarge(t, err)

	big := []byte(`{"data":{"a":"` + strings.Repeat("x", 3*limit) + `","b":"yy"}}`)
	if out, err := Apply(big, []byte(`[{"op":"replace","path":"/data/b","value":"zz"}]`), limit); err != nil || len(out) != len(big) {
		t.Fatalf("a same-size change of a large document: %d bytes, %v", len(out), err)
	}
	if _, err := Apply(big, []byte(`[{"op":"remove","path":"/data/b"}]`), limit); err != nil {
		t.Fatalf("shrinking a large document: %v", err)
	}
	_, err = Apply(big, []byte(`[{"op":"replace","path":"/data/b","value":"zzz"}]`), limit)
	tooLarge(t, err)
	_, err = Apply(big, []byte(`[{"op":"copy","from":"/data/a","path":"/data/c"}]`), limit)
	tooLarge(t, err)
}
