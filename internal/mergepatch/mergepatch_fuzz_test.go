package mergepatch

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzMerge: for any JSON object document and patch, an RFC 7396 merge
// keeps every member the patch does not name as it was, takes every
// non-object value the patch names as is, leaves no member the patch set
// to null, and applying the patch again changes nothing (idempotent).
func FuzzMerge(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":1,"b":{"c":2,"d":[1,2]}}`, `{"a":null,"b":{"c":{"x":null},"e":[null]}}`},
		{`{}`, `{"a":{"b":{"c":null}}}`},
		{`{"a":[1]}`, `{"a":[2]}`},
		{`{"a":"x"}`, `{"a":{"b":1}}`},
		{`{"user":{"data":{"k":"v"}}}`, `{"user":{"data":null}}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, doc, patch string) {
		var base, p, orig map[string]any
		if json.Unmarshal([]byte(doc), &base) != nil || json.Unmarshal([]byte(patch), &p) != nil || base == nil || p == nil {
			return
		}
		_ = json.Unmarshal([]byte(doc), &orig)
		got := Merge(base, p, RFC7396)
		check(t, orig, p, got)
		var again map[string]any
		b, _ := json.Marshal(got)
		_ = json.Unmarshal(b, &again)
		if twice := Merge(again, p, RFC7396); !reflect.DeepEqual(twice, got) {
			t.Fatalf("applying %s twice to %s: %v, then %v", patch, doc, got, twice)
		}
	})
}

// check asserts the merge of patch into orig (a copy of the document) gave got.
func check(t *testing.T, orig, patch, got map[string]any) {
	t.Helper()
	for k, v := range orig {
		if _, named := patch[k]; !named && !reflect.DeepEqual(got[k], v) {
			t.Fatalf("member %q not in the patch changed: %v -> %v", k, v, got[k])
		}
	}
	for k, pv := range patch {
		gv, present := got[k]
		switch pv := pv.(type) {
		case nil:
			if present {
				t.Fatalf("member %q set to null by the patch is still there: %v", k, gv)
			}
		case map[string]any:
			sub, ok := gv.(map[string]any)
			if !ok {
				t.Fatalf("member %q patched with an object is %T", k, gv)
			}
			prev, _ := orig[k].(map[string]any)
			check(t, prev, pv, sub)
		default:
			if !reflect.DeepEqual(gv, pv) {
				t.Fatalf("member %q: %v, want the patch's %v", k, gv, pv)
			}
		}
	}
}
