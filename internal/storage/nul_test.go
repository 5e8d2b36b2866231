package storage

import (
	"slices"
	"testing"
)

// TestHasNUL: only an escape whose backslash is not itself escaped is a
// NUL; a literal backslash followed by u0000 is ordinary text.
func TestHasNUL(t *testing.T) {
	for in, want := range map[string]bool{
		`"a\u0000b"`: true, `"a\\u0000b"`: false, `"a\\\u0000"`: true, `"\\\\u0000"`: false,
		`"\\u0000 then \u0000"`: true, `"plain"`: false, `"\u00001"`: true,
	} {
		if got := HasNUL([]byte(in)); got != want {
			t.Errorf("HasNUL(%s) = %v, want %v", in, got, want)
		}
	}
}

// TestNULPaths names each field holding a NUL by its JSON path.
func TestNULPaths(t *testing.T) {
	u := User{FirstName: "a\x00", PreferredLanguages: []string{"en", "\x00"}, LastName: `\u0000`,
		Data: map[string]any{"ok": "fine", "deep": map[string]any{"list": []any{"x", map[string]any{"k\x00": 1}}}}}
	got := NULPaths("user", u)
	want := []string{"user.data.deep.list[1].k\\u0000", "user.firstName", "user.preferredLanguages"}
	if !slices.Equal(got, want) {
		t.Fatalf("NULPaths = %q, want %q", got, want)
	}
	if p := NULPaths("user", User{FirstName: `a\u0000`}); p != nil {
		t.Fatalf("a literal backslash-u0000 reported: %q", p)
	}
}
