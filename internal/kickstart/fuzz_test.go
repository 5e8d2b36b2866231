package kickstart

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
)

// FuzzSubstitute: for member names k1, k2 and an environment value val,
// substituting {k1: "#{ENV.X}", k2: ["#{ENV.X}", "#{a}"]} either fails or keeps
// both members under their own resolved names; names that resolve equal are
// an error naming the member; a name that cannot resolve fails the whole
// tree; val arrives verbatim (never rescanned, never parsed as JSON); and
// the result survives a JSON round trip unchanged (what load does next).
func FuzzSubstitute(f *testing.F) {
	f.Add("name", "other", "value")
	f.Add("#{a}", "x", `", "injected": "1`)
	f.Add("#{ENV.X}", "#{a}", "x")
	f.Add(`\#{a}`, "#{a}", "#{a}")
	f.Add("@{missing}", "b", "}")
	f.Add("#{ENV.X}", "k", "k")
	root, err := os.OpenRoot(f.TempDir()) // empty: every include fails
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { root.Close() })
	f.Fuzz(func(t *testing.T, k1, k2, val string) {
		if k1 == k2 || strings.Contains(k1+k2, "UUID()") { // UUID() differs per call
			return
		}
		s := &substituter{root: root, budget: maxTotalBytes, raw: map[string]string{"a": "x"}, vars: map[string]string{},
			resolving: map[string]bool{}, getenv: func(k string) (string, bool) { return val, k == "X" }}
		out, err := s.tree(map[string]any{k1: "#{ENV.X}", k2: []any{"#{ENV.X}", "#{a}"}}, "", 0)
		n1, err1 := s.text(k1)
		n2, err2 := s.text(k2)
		switch {
		case err1 != nil || err2 != nil:
			if err == nil {
				t.Fatalf("names fail to resolve (%v, %v) but the tree did: %v", err1, err2, out)
			}
			return
		case n1 == n2:
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", n1)) {
				t.Fatalf("%q and %q both become %q: err = %v, out = %v", k1, k2, n1, err, out)
			}
			return
		case err != nil:
			t.Fatalf("distinct names %q, %q: %v", n1, n2, err)
		}
		want := map[string]any{n1: val, n2: []any{val, "x"}}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("tree = %#v, want %#v", out, want)
		}
		if !utf8.ValidString(n1) || !utf8.ValidString(n2) || !utf8.ValidString(val) {
			return // load refuses invalid UTF-8 when it encodes the tree
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, out) {
			t.Fatalf("round trip: %v, %#v != %#v", err, back, out)
		}
	})
}
