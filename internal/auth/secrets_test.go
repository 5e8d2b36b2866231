package auth

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A login's new rows are named by version 7 UUIDs whose order is the order
// of their instants, so the primary-key index takes them at its end; two ids
// of the same millisecond still differ.
func TestTimeOrderedIDsSortByTheirInstant(t *testing.T) {
	base := time.Date(2026, 12, 4, 2, 50, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 200 {
		at := base.Add(time.Duration(i/4) * time.Millisecond) // four ids per millisecond
		id := newTimeOrderedID(at)
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("%q is not a UUID: %v", id, err)
		}
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d variant %v, want 7 and RFC 4122", id, u.Version(), u.Variant())
		}
		sec, nsec := u.Time().UnixTime()
		if got := time.Unix(sec, nsec).UTC(); !got.Equal(at) {
			t.Fatalf("%s carries %v, want %v", id, got, at)
		}
		if seen[id] {
			t.Fatalf("%s drawn twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	// Sorted as TEXT (how SQLite and PostgreSQL compare the column), every
	// id of a millisecond comes after every id of an earlier one.
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for i := 0; i < len(ids); i += 4 {
		if !slices.Equal(sortedGroup(sorted[i:i+4]), sortedGroup(ids[i:i+4])) {
			t.Fatalf("sorted, the ids of millisecond %d are %v, want %v", i/4, sorted[i:i+4], sortedGroup(ids[i:i+4]))
		}
	}
}

func sortedGroup(g []string) []string {
	g = slices.Clone(g)
	slices.Sort(g)
	return g
}
