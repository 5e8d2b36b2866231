package manage_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLongestTokenLifetime: the longest access-token lifetime of every
// tenant and application, inactive ones included (they can be reactivated
// and still hold tokens signed before), at least FusionAuth's default hour.
func TestLongestTokenLifetime(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	got := func() time.Duration {
		d, err := manage.LongestTokenLifetime(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := got(); d != time.Hour {
		t.Fatalf("defaults: %v, want 1h", d)
	}
	app := storage.Application{ID: "8e000000-0000-4000-8000-000000000001", TenantID: manage.DefaultTenantID, Name: "long",
		Active: false, State: "Inactive", JWTConfiguration: storage.ApplicationJWTConfig{Enabled: true, TimeToLiveInSeconds: 2 * 86400}}
	if err := st.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if d := got(); d != 48*time.Hour {
		t.Fatalf("with an inactive application of 48 h: %v", d)
	}
	tn, _ := st.GetTenant(ctx, manage.DefaultTenantID)
	tn.JWTConfiguration.TimeToLiveInSeconds = 3 * 86400
	if err := st.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if d := got(); d != 72*time.Hour {
		t.Fatalf("with a tenant of 72 h: %v", d)
	}
}
