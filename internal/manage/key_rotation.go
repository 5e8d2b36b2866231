package manage

import (
	"context"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// KeyRotator rotates a signing key, committing outbox messages with the
// rotation (*keys.Manager).
type KeyRotator interface {
	RotateWith(ctx context.Context, alg string, outbox []storage.OutboxMessage) (storage.SigningKey, error)
}

// KeysStore is what Keys reads.
type KeysStore interface {
	tenantReader
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
}

// Keys is latchkey's key rotation (POST /api/key/rotate) with its
// jwt.public-key.update event, whose applicationIds are the applications
// whose tokens the rotated algorithm signs (spec §2.10, §3.5).
type Keys struct {
	Store   KeysStore
	Rotator KeyRotator
	Events  *events.Publisher
}

// Rotate replaces alg's active key; with a transactional
// jwt.public-key.update, only if its webhooks agree.
func (k *Keys) Rotate(ctx context.Context, alg string) (storage.SigningKey, error) {
	pl, err := k.Events.Plan(ctx, DefaultTenantID, events.JWTPublicKeyUpdate)
	if err != nil {
		return storage.SigningKey{}, err
	}
	var evs []storage.OutboxMessage
	if !pl.Empty() {
		ids, err := k.signedBy(ctx, alg)
		if err != nil {
			return storage.SigningKey{}, err
		}
		if evs, err = k.Events.Prepare(ctx, pl, &events.Event{ApplicationIDs: ids}); err != nil {
			return storage.SigningKey{}, err
		}
	}
	key, err := k.Rotator.RotateWith(ctx, alg, evs)
	if err == nil {
		k.Events.Committed(evs)
	}
	return key, err
}

// signedBy lists the active applications whose tokens alg signs: their
// own jwtConfiguration's algorithm when enabled, else the tenant's (ES256
// when unset).
func (k *Keys) signedBy(ctx context.Context, alg string) ([]string, error) {
	t, err := k.Store.GetTenant(ctx, DefaultTenantID)
	if err != nil {
		return nil, err
	}
	apps, err := k.Store.ListApplications(ctx, false)
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
