package manage

import (
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A try that lost its race is tried again; one that wrote, or failed for
// another reason, is not; a record that never stops changing is
// ErrContended, never a write reported done.
func TestRetryStale(t *testing.T) {
	other := errors.New("refused")
	for _, c := range []struct {
		name      string
		staleFor  int
		then      error
		wantTries int
		want      error
	}{
		{"written at once", 0, nil, 1, nil},
		{"written after three lost races", 3, nil, 4, nil},
		{"refused after a lost race", 1, other, 2, other},
		{"always stale", staleTries + 5, nil, staleTries, ErrContended},
	} {
		tries := 0
		err := retryStale(func() error {
			tries++
			if tries <= c.staleFor {
				return storage.ErrStale
			}
			return c.then
		})
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) || tries != c.wantTries {
			t.Errorf("%s: %v after %d tries, want %v after %d", c.name, err, tries, c.want, c.wantTries)
		}
	}
}
