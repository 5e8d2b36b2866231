package auth

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A login's new rows are named by version 7 UUIDs whose order is the order
// of their instants, so the primary-key index takes each next to the one
// before; two ids of the same millisecond still differ.
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

// An instant the 48 bits cannot hold is pinned to the nearer end, not
// wrapped into an arbitrary one.
func TestTimeOrderedIDsPinInstantsOutOfRange(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want int64 // Unix milliseconds
	}{
		{time.Time{}, 0},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), 0},
		{time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), 1<<48 - 1},
	} {
		u := uuid.MustParse(newTimeOrderedID(c.at))
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != c.want {
			t.Errorf("%v: carries %d ms, want %d", c.at, time.Unix(sec, nsec).UnixMilli(), c.want)
		}
	}
}
