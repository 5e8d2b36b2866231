package manage

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// KeysStore is what Keys reads: the keys, and the tenant and applications
// a rotation's jwt.public-key.update names (key_rotation.go).
type KeysStore interface {
	ListSigningKeys(ctx context.Context, now time.Time) ([]storage.SigningKey, error)
	tenantReader
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
}

// KeyRotator makes a new active signing key (internal/keys.Manager),
// committing outbox messages and audit entries with it.
type KeyRotator interface {
	RotateWith(ctx context.Context, alg string, outbox []storage.OutboxMessage,
		audit ...func(next storage.SigningKey) storage.AuditEntry) (storage.SigningKey, error)
}

// Keys lists the signing keys (keys.mdx shapes: GET /api/key,
// /api/key/{id}) and rotates them. Only public parts leave this use case.
type Keys struct {
	Store   KeysStore
	Rotator KeyRotator // set by the wiring (internal/app); nil refuses Rotate
	Now     func() time.Time
	Events  *events.Publisher // jwt.public-key.update (UseEvents)
	// Ready, when set, waits until the node's first keys are all stored
	// (keys.Manager.Ready: the RS256 key is made after the node serves),
	// so that a listing never lacks a key the node is about to have.
	Ready func(ctx context.Context) error
}

// KeyView is FusionAuth's key object for a latchkey signing key: the id is
// the JWT kid; privateKey and secret never appear. State and
// expirationInstant say whether the key signs now (active) or is still
// published for tokens it signed (retiring, until expirationInstant).
type KeyView struct {
	ID                string `json:"id"`
	Algorithm         string `json:"algorithm"`
	HasPrivateKey     bool   `json:"hasPrivateKey"`
	Kid               string `json:"kid"`
	Length            int    `json:"length,omitempty"`
	Name              string `json:"name"`
	PublicKey         string `json:"publicKey"`
	Type              string `json:"type"`
	State             string `json:"state"`
	InsertInstant     int64  `json:"insertInstant"`
	ExpirationInstant int64  `json:"expirationInstant,omitempty"`
}

// ViewKey is k without its private key.
func ViewKey(k storage.SigningKey) KeyView {
	v := KeyView{ID: k.ID, Algorithm: k.Algorithm, HasPrivateKey: true, Kid: k.ID, PublicKey: k.PublicKeyPEM,
		State: k.State, InsertInstant: k.CreatedAt.UnixMilli(), Name: "latchkey " + k.Algorithm + " signing key"}
	if !k.RetireAt.IsZero() {
		v.ExpirationInstant = k.RetireAt.UnixMilli()
	}
	if b, _ := pem.Decode([]byte(k.PublicKeyPEM)); b != nil {
		switch pub, _ := x509.ParsePKIXPublicKey(b.Bytes); p := pub.(type) {
		case *ecdsa.PublicKey:
			v.Type, v.Length = "EC", p.Curve.Params().BitSize
		case *rsa.PublicKey:
			v.Type, v.Length = "RSA", p.N.BitLen()
		}
	}
	return v
}

// List returns the keys in use (active, and retiring ones still published),
// oldest first, then by algorithm.
func (ks *Keys) List(ctx context.Context) ([]KeyView, error) {
	if ks.Ready != nil {
		if err := ks.Ready(ctx); err != nil {
			return nil, err
		}
	}
	keys, err := ks.Store.ListSigningKeys(ctx, ks.Now())
	if err != nil {
		return nil, err
	}
	out := make([]KeyView, len(keys))
	for i, k := range keys {
		out[i] = ViewKey(k)
	}
	slices.SortStableFunc(out, func(a, b KeyView) int {
		return cmp.Or(cmp.Compare(a.InsertInstant, b.InsertInstant), cmp.Compare(a.Algorithm, b.Algorithm), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Get returns one key in use; ErrNotFound for an unknown or retired one.
func (ks *Keys) Get(ctx context.Context, id string) (KeyView, error) {
	keys, err := ks.List(ctx)
	if err != nil {
		return KeyView{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return KeyView{}, ErrNotFound
}

// Rotate makes a new active key for alg, audited with the new key's public
// part, with its jwt.public-key.update event in the same transaction (with
// a transactional one, only if its webhooks agree). Keys sign for every
// tenant, so a tenant-scoped caller may not (ErrForbidden).
func (ks *Keys) Rotate(ctx context.Context, scope Scope, alg string) (KeyView, error) {
	if scope.TenantID != "" || ks.Rotator == nil {
		return KeyView{}, ErrForbidden
	}
	evs, err := ks.publicKeyUpdate(ctx, alg)
	if err != nil {
		return KeyView{}, err
	}
	k, err := ks.Rotator.RotateWith(ctx, alg, evs, func(next storage.SigningKey) storage.AuditEntry {
		return audit(ctx, ks.Now(), "", "Rotated the "+alg+" signing key; the new key has Id ["+next.ID+"]", nil, ViewKey(next))
	})
	if err != nil {
		return KeyView{}, err
	}
	ks.Events.Committed(evs)
	return ViewKey(k), nil
}
