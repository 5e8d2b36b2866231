package manage

import (
	"encoding/base64"
	"testing"
	"time"
)

// FuzzRevocationCursor: the revocation feed's cursor (a query parameter any
// client sends) is accepted only in the one spelling formatCursor gives a
// position, at a time not before 1970 and with an id that is a UUID or
// none; anything else is refused, never a panic or a position elsewhere.
func FuzzRevocationCursor(f *testing.F) {
	for _, seed := range []string{formatCursor(time.UnixMilli(1700000000000), "0f1a2b3c-0000-4000-8000-0000000000b1"),
		formatCursor(time.UnixMilli(0), ""), base64.RawURLEncoding.EncodeToString([]byte("+5:")),
		base64.RawURLEncoding.EncodeToString([]byte("05:")), base64.RawURLEncoding.EncodeToString([]byte("-1:")),
		base64.StdEncoding.EncodeToString([]byte("5:")), "", "!!!", "MTox"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, c string) {
		at, id, ok := parseCursor(c)
		if !ok {
			return
		}
		if at.UnixMilli() < 0 || (id != "" && !ValidID(id)) {
			t.Fatalf("cursor %q accepted as %v %q", c, at, id)
		}
		if again := formatCursor(at, id); again != c {
			t.Fatalf("cursor %q accepted, but its position is spelled %q", c, again)
		}
	})
}
