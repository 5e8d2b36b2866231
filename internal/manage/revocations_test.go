package manage_test

import (
	"context"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestRevocationCursor: a cursor the feed did not return is [invalid]since,
// whatever it looks like; a returned one is accepted, and an idle feed's
// cursor looks back (manage.Revocations, docs/decisions.md "Revocation feed
// cursor").
func TestRevocationCursor(t *testing.T) {
	st := openStore(t)
	feed := &manage.Revocations{Store: st, Now: clock}
	app := storage.Application{ID: "0f1a2b3c-0000-4000-8000-0000000000a1", TenantID: manage.DefaultTenantID}
	ctx := context.Background()
	first, err := feed.Page(ctx, app, "")
	if err != nil || len(first.Revoked) != 0 || first.More || first.Cursor == "" {
		t.Fatalf("first page %+v %v", first, err)
	}
	if _, err := feed.Page(ctx, app, first.Cursor); err != nil {
		t.Fatalf("the feed refused its own cursor: %v", err)
	}
	for _, bad := range []string{"x", "MTIz", "LTE6", "MTIzOm5vdC1hLXV1aWQ", string(make([]byte, 201))} {
		if _, err := feed.Page(ctx, app, bad); !slices.Equal(problems(t, err), []string{"[invalid]since"}) {
			t.Fatalf("cursor %q: %v", bad, err)
		}
	}
}
