package manage

import (
	"context"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// publicKeyUpdate prepares jwt.public-key.update for a rotation of alg
// (nothing when no webhook wants it): its applicationIds are the
// applications whose tokens alg signs (spec §2.10, §3.5).
func (ks *Keys) publicKeyUpdate(ctx context.Context, alg string) ([]storage.OutboxMessage, error) {
	pl, err := ks.Events.Plan(ctx, DefaultTenantID, events.JWTPublicKeyUpdate)
	if err != nil || pl.Empty() {
		return nil, err
	}
	ids, err := ks.signedBy(ctx, alg)
	if err != nil {
		return nil, err
	}
	return ks.Events.Prepare(ctx, pl, &events.Event{ApplicationIDs: ids})
}

// signedBy lists the active applications whose tokens alg signs: their
// own jwtConfiguration's algorithm when enabled, else the tenant's (ES256
// when unset).
func (ks *Keys) signedBy(ctx context.Context, alg string) ([]string, error) {
	t, err := ks.Store.GetTenant(ctx, DefaultTenantID)
	if err != nil {
		return nil, err
	}
	apps, err := ks.Store.ListApplications(ctx, false)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, a := range apps {
		use := t.JWTConfiguration.SigningAlgorithm
		if a.JWTConfiguration.Enabled {
			use = a.JWTConfiguration.SigningAlgorithm
		}
		if use == "" {
			use = "ES256"
		}
		if use == alg {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
