package mergepatch

import (
	"encoding/json"
	"testing"
)

// TestMerge pins both modes on the cases of RFC 7396 Appendix A that
// involve arrays, nesting and null, plus the legacy append.
func TestMerge(t *testing.T) {
	tests := []struct {
		name, base, patch string
		mode              Mode
		want              string
	}{
		{"replace a member", `{"a":"b"}`, `{"a":"c"}`, RFC7396, `{"a":"c"}`},
		{"add a member", `{"a":"b"}`, `{"b":"c"}`, RFC7396, `{"a":"b","b":"c"}`},
		{"null removes", `{"a":"b","b":"c"}`, `{"a":null}`, RFC7396, `{"b":"c"}`},
		{"array replaced", `{"a":["b"]}`, `{"a":["c","d"]}`, RFC7396, `{"a":["c","d"]}`},
		{"array appended (legacy)", `{"a":["b"]}`, `{"a":["c","d"]}`, FusionAuthLegacy, `{"a":["b","c","d"]}`},
		{"array where there was none (legacy)", `{"a":"x"}`, `{"a":["c"]}`, FusionAuthLegacy, `{"a":["c"]}`},
		{"nested object", `{"a":{"b":"c","d":"e"}}`, `{"a":{"b":"z","d":null}}`, RFC7396, `{"a":{"b":"z"}}`},
		{"object where there was a scalar", `{"a":"b"}`, `{"a":{"c":"d"}}`, FusionAuthLegacy, `{"a":{"c":"d"}}`},
		{"nested null in a new object", `{}`, `{"a":{"b":null}}`, RFC7396, `{"a":{}}`},
		{"empty patch changes nothing", `{"a":[1]}`, `{}`, FusionAuthLegacy, `{"a":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base, patch map[string]any
			if err := json.Unmarshal([]byte(tt.base), &base); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.patch), &patch); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(Merge(base, patch, tt.mode))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMergeNilBase: a nil base is an empty object.
func TestMergeNilBase(t *testing.T) {
	got, _ := json.Marshal(Merge(nil, map[string]any{"a": 1.0}, RFC7396))
	if string(got) != `{"a":1}` {
		t.Fatalf("got %s", got)
	}
}
