package server_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestJSONPatchCannotGrowARecordPastTheBodyLimit: an RFC 6902 patch's
// result may be no larger than the larger of the record before and the
// 64 KiB body limit, so copies cannot grow a user, request by request,
// past what a PUT could send back. Copying a 20 KB value is taken while
// alice stays under the limit, and the copy that would take her past it
// is 400 [JSONPatchTooLarge] with nothing changed; a PUT of what GET
// then shows is taken. Sixteen copies of a 60 KB value (1 MiB of copies,
// within the copy bound) are refused at the first request.
func TestJSONPatchCannotGrowARecordPastTheBodyLimit(t *testing.T) {
	s := newStack(t)
	path := "/api/user/" + aliceID
	tooLarge := func(what string, res result) {
		t.Helper()
		if res.status != 400 || !slices.Contains(generalCodes(t, res), "[JSONPatchTooLarge]") {
			t.Fatalf("%s: %d %.300s, want 400 [JSONPatchTooLarge]", what, res.status, res.body)
		}
	}
	if res := s.jsonPatch(path, `[{"op":"add","path":"/user/data","value":{"a":"`+strings.Repeat("x", 20000)+`"}}]`); res.status != 200 {
		t.Fatalf("seed: %d %.300s", res.status, res.body)
	}
	for i := 1; ; i++ {
		before := s.apiOK("GET", path, nil)
		res := s.jsonPatch(path, fmt.Sprintf(`[{"op":"copy","from":"/user/data/a","path":"/user/data/c%d"}]`, i))
		if res.status == 200 {
			if i > 2 {
				t.Fatalf("copy %d taken: alice is %d bytes", i, len(s.api("GET", path, nil).body))
			}
			continue
		}
		if i != 3 {
			t.Fatalf("copy %d refused (%d %.300s); copies 1 and 2 stay under 64 KiB", i, res.status, res.body)
		}
		tooLarge(fmt.Sprintf("copy %d", i), res)
		if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
			t.Fatalf("the refused copy changed alice at %v", changedLeaves("", before, after))
		}
		break
	}
	got := s.api("GET", path, nil)
	if put := s.do(call{method: "PUT", path: path, body: string(got.body), hdr: admin}); put.status != 200 {
		t.Fatalf("PUT of what GET shows (%d bytes): %d %.300s", len(got.body), put.status, put.body)
	}

	// The review's growth: sixteen copies of a 60 KB value per request.
	if res := s.jsonPatch(path, `[{"op":"replace","path":"/user/data","value":{"a":"`+strings.Repeat("x", 60000)+`"}}]`); res.status != 200 {
		t.Fatalf("a 60 KB value: %d %.300s", res.status, res.body)
	}
	before := s.apiOK("GET", path, nil)
	var ops []string
	for j := range 16 {
		ops = append(ops, fmt.Sprintf(`{"op":"copy","from":"/user/data/a","path":"/user/data/c%d"}`, j))
	}
	tooLarge("sixteen copies of 60 KB", s.jsonPatch(path, "["+strings.Join(ops, ",")+"]"))
	if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
		t.Fatalf("the refused copies changed alice at %v", changedLeaves("", before, after))
	}
}

// TestJSONPatchOfARecordOverTheBodyLimit: a user larger than 64 KiB (one
// written before the bound, or by an import) can still be patched, so
// long as the patch does not make it larger; one byte more is refused.
func TestJSONPatchOfARecordOverTheBodyLimit(t *testing.T) {
	s := newStack(t)
	u, err := s.Store.GetUser(t.Context(), aliceID)
	must(t, err)
	u.Data = map[string]any{"a": strings.Repeat("x", 100000), "b": "yy"}
	must(t, s.Store.UpdateUser(t.Context(), u))
	path := "/api/user/" + aliceID
	if res := s.jsonPatch(path, `[{"op":"replace","path":"/user/data/b","value":"zz"},{"op":"remove","path":"/user/data/a"}]`); res.status != 200 {
		t.Fatalf("a patch that shrinks her: %d %.300s", res.status, res.body)
	}
	u, err = s.Store.GetUser(t.Context(), aliceID)
	must(t, err)
	u.Data = map[string]any{"a": strings.Repeat("x", 100000), "b": "yy"}
	must(t, s.Store.UpdateUser(t.Context(), u))
	if res := s.jsonPatch(path, `[{"op":"replace","path":"/user/data/b","value":"zz"}]`); res.status != 200 {
		t.Fatalf("a patch that keeps her size: %d %.300s", res.status, res.body)
	}
	before := s.apiOK("GET", path, nil)
	res := s.jsonPatch(path, `[{"op":"replace","path":"/user/data/b","value":"zzzzzzzzzz"}]`)
	if res.status != 400 || !slices.Contains(generalCodes(t, res), "[JSONPatchTooLarge]") {
		t.Fatalf("a patch that grows her: %d %.300s", res.status, res.body)
	}
	if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
		t.Fatalf("the refused patch changed alice at %v", changedLeaves("", before, after))
	}
}
