package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sort"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// rsaBits: 2048 is the RS256 floor of RFC 7518 §3.3 and what FusionAuth
// generates by default.
const rsaBits = 2048

// key is a storage record parsed once per load.
type key struct {
	rec    storage.SigningKey
	public crypto.PublicKey
	jwk    jose.JSONWebKey // public, with kid, alg and use
	signer *jwsSigner      // nil when the record has no private key
}

// keySet is an immutable snapshot of the keys storage returned.
type keySet struct {
	byID map[string]*key
	list []*key // newest first (by starts)
}

func (s keySet) live(k *key, now time.Time) bool {
	return k.rec.RetireAt.IsZero() || now.Before(k.rec.RetireAt)
}

// lookup returns the key named kid if it is still trusted at now. A cached
// key past RetireAt is refused even before the next reload drops it.
func (s keySet) lookup(kid string, now time.Time) *key {
	k := s.byID[kid]
	if k == nil || !s.live(k, now) {
		return nil
	}
	return k
}

// active is the key of alg that signs at now: the newest one whose
// ActivateAt has come. A rotated-in key is published before it signs
// (Manager.Rotate), and the key it replaces (retiring) signs until then.
func (s keySet) active(alg string, now time.Time) *key {
	for _, k := range s.list {
		if k.rec.Algorithm == alg && k.signer != nil && s.live(k, now) && !now.Before(k.rec.ActivateAt) {
			return k
		}
	}
	return nil
}

// signer is the key that signs a token of alg expiring at exp: the active
// one, unless that key retires before exp (its successor is scheduled and a
// lifetime was raised since the rotation). Then a newer published key that
// outlives the token signs it instead, so no token outlives its key.
func (s keySet) signer(alg string, now time.Time, exp int64) *key {
	k := s.active(alg, now)
	if k == nil || k.rec.RetireAt.IsZero() || exp <= k.rec.RetireAt.Unix() {
		return k
	}
	for _, n := range s.list {
		if n == k {
			break // the rest are older
		}
		if n.rec.Algorithm == alg && n.signer != nil && s.live(n, now) && (n.rec.RetireAt.IsZero() || exp <= n.rec.RetireAt.Unix()) {
			return n
		}
	}
	return k
}

func (s keySet) published(now time.Time) []*key {
	var out []*key
	for _, k := range s.list {
		if s.live(k, now) {
			out = append(out, k)
		}
	}
	return out
}

func parseKeySet(recs []storage.SigningKey) (keySet, error) {
	set := keySet{byID: map[string]*key{}}
	for _, r := range recs {
		k, err := parseKey(r)
		if err != nil {
			return keySet{}, err
		}
		set.byID[r.ID] = k
		set.list = append(set.list, k)
	}
	// Newest first: by when each key starts (or started) signing, and of
	// two starting in the same millisecond the active one before the one it
	// replaced.
	sort.SliceStable(set.list, func(i, j int) bool {
		a, b := set.list[i].rec, set.list[j].rec
		if sa, sb := starts(a), starts(b); !sa.Equal(sb) {
			return sa.After(sb)
		}
		return a.State == "active" && b.State != "active"
	})
	return set, nil
}

// starts is when a key starts signing: ActivateAt, or CreatedAt for a key
// active from its creation.
func starts(k storage.SigningKey) time.Time {
	if k.ActivateAt.IsZero() {
		return k.CreatedAt
	}
	return k.ActivateAt
}

func parseKey(r storage.SigningKey) (*key, error) {
	if r.Algorithm != ES256 && r.Algorithm != RS256 {
		return nil, fmt.Errorf("keys: key %q has unsupported algorithm %q", r.ID, r.Algorithm)
	}
	pub, err := parsePEM(r.PublicKeyPEM, "PUBLIC KEY", x509.ParsePKIXPublicKey)
	if err != nil {
		return nil, fmt.Errorf("keys: key %q public key: %w", r.ID, err)
	}
	// The algorithm is pinned to the key type, so a record claiming RS256
	// over an EC key can never be used (RFC 8725 §3.1).
	switch pub.(type) {
	case *ecdsa.PublicKey:
		if r.Algorithm != ES256 {
			return nil, fmt.Errorf("keys: key %q: EC key labelled %s", r.ID, r.Algorithm)
		}
	case *rsa.PublicKey:
		if r.Algorithm != RS256 {
			return nil, fmt.Errorf("keys: key %q: RSA key labelled %s", r.ID, r.Algorithm)
		}
	default:
		return nil, fmt.Errorf("keys: key %q: unsupported key type %T", r.ID, pub)
	}
	k := &key{rec: r, public: pub, jwk: jose.JSONWebKey{Key: pub, KeyID: r.ID, Algorithm: r.Algorithm, Use: "sig"}}
	// A retiring key keeps its signer: it signs until its successor's
	// ActivateAt (keySet.active).
	if r.PrivateKeyPEM != "" {
		priv, err := parsePEM(r.PrivateKeyPEM, "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("keys: key %q private key: %w", r.ID, err)
		}
		if k.signer, err = newJWSSigner(r.Algorithm, r.ID, priv); err != nil {
			return nil, fmt.Errorf("keys: key %q signer: %w", r.ID, err)
		}
	}
	return k, nil
}

func parsePEM(s, typ string, parse func([]byte) (any, error)) (any, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("not a %s PEM block", typ)
	}
	return parse(b.Bytes)
}

// generate makes a new active key record with a random UUID kid.
func generate(alg string, now time.Time) (storage.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		priv, err = newRSAKey()
	default:
		return storage.SigningKey{}, fmt.Errorf("keys: cannot generate %q: %w", alg, ErrNoActiveKey)
	}
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: generate %s: %w", alg, err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return storage.SigningKey{}, err
	}
	return storage.SigningKey{
		ID:            uuid.NewString(),
		Algorithm:     alg,
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		PublicKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		State:         "active",
		CreatedAt:     now.UTC(),
	}, nil
}
