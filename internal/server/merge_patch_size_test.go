package server_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestMergePatchCannotGrowARecordPastTheBodyLimit: a merge patch (FusionAuth's
// legacy merge and RFC 7396 alike) may leave a record no larger than the
// larger of the record before and the 64 KiB body limit, as an RFC 6902
// patch may: each request could otherwise add a body's worth, and a user
// would grow, request by request, past what a PUT could send back. A 40 KB
// value is taken; a second one, which would take alice past 64 KiB, is 400
// [PatchTooLarge] with nothing changed; a patch that keeps her size is taken.
func TestMergePatchCannotGrowARecordPastTheBodyLimit(t *testing.T) {
	for _, ct := range []string{"application/json", "application/merge-patch+json"} {
		t.Run(ct, func(t *testing.T) {
			s := newStack(t)
			path := "/api/user/" + aliceID
			patch := func(body string) result {
				t.Helper()
				return s.api("PATCH", path, body, "Content-Type", ct)
			}
			value := strings.Repeat("x", 40000)
			if res := patch(`{"user":{"data":{"a":"` + value + `"}}}`); res.status != 200 {
				t.Fatalf("a 40 KB value: %d %.300s", res.status, res.body)
			}
			before := s.apiOK("GET", path, nil)
			res := patch(`{"user":{"data":{"b":"` + value + `"}}}`)
			if res.status != 400 || !slices.Contains(generalCodes(t, res), "[PatchTooLarge]") {
				t.Fatalf("a second 40 KB value: %d %.300s, want 400 [PatchTooLarge]", res.status, res.body)
			}
			if after := s.apiOK("GET", path, nil); !reflect.DeepEqual(after, before) {
				t.Fatalf("the refused patch changed alice at %v", changedLeaves("", before, after))
			}
			if res := patch(`{"user":{"data":{"a":"` + strings.Repeat("y", 40000) + `"}}}`); res.status != 200 {
				t.Fatalf("a patch that keeps her size: %d %.300s", res.status, res.body)
			}
			got := s.api("GET", path, nil)
			if put := s.do(call{method: "PUT", path: path, body: string(got.body), hdr: admin}); put.status != 200 {
				t.Fatalf("PUT of what GET shows (%d bytes): %d %.300s", len(got.body), put.status, put.body)
			}
		})
	}
}
