package sqlstorage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ms stores an instant as UTC milliseconds; the zero time is 0 so that "unset"
// round-trips.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// encode writes a record as its JSON document. A document holding a NUL
// character is refused (storage.ErrNUL) on both backends: PostgreSQL's
// jsonb cannot hold one, so the row would break every later statement that
// reads it as jsonb; the use cases refuse such input first, naming the
// field, and this keeps any path they miss from writing one.
func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlstorage: encode %T: %w", v, err)
	}
	if storage.HasNUL(b) {
		return "", fmt.Errorf("sqlstorage: encode %T: %w", v, storage.ErrNUL)
	}
	return string(b), nil
}

// decode reads a document encode wrote. A number in free-form JSON (data)
// comes back as the json.Number it was stored from, never a float64 that
// would round it (internal/jsonnum).
func decode(doc string, v any) error {
	if err := jsonnum.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("sqlstorage: decode %T: %w", v, err)
	}
	return nil
}

// listDocs runs a query selecting one JSON document column.
func listDocs[T any](ctx context.Context, s *Store, query string, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, s.wrap(err)
		}
		var v T
		if err := decode(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}
