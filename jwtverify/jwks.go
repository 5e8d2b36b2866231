package jwtverify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds the key-set response we read.
const maxJWKSBytes = 1 << 20

var errTooSoon = errors.New("jwtverify: refetch rate-limited")

// key returns the JWK named kid, fetching the key set when it is missing or
// stale and refetching once when kid is unknown (zitadel/oidc's pattern),
// never more often than MinRefetchInterval.
func (v *Verifier) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	v.mu.Lock()
	k, ok := v.keys[kid]
	stale := v.keys == nil || v.cfg.Now().Sub(v.fetchedAt) >= maxKeySetAge
	v.mu.Unlock()
	if ok && !stale {
		return k, nil
	}
	ferr := v.refresh(ctx)
	v.mu.Lock()
	k, ok = v.keys[kid]
	loaded := v.keys != nil
	v.mu.Unlock()
	switch {
	case ok:
		return k, nil
	case !loaded && ferr != nil:
		return jose.JSONWebKey{}, fmt.Errorf("%w: %v", ErrJWKSUnavailable, ferr)
	default:
		return jose.JSONWebKey{}, ErrUnknownKey
	}
}

// refresh fetches the JWKS unless one fetch is already under way (then it
// waits for that one) or the last attempt was less than MinRefetchInterval
// ago. Failed attempts count too, so a down JWKS endpoint is not hammered.
func (v *Verifier) refresh(ctx context.Context) error {
	v.mu.Lock()
	if f := v.inflight; f != nil {
		v.mu.Unlock()
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	now := v.cfg.Now()
	if !v.lastAttempt.IsZero() && now.Sub(v.lastAttempt) < v.cfg.MinRefetchInterval {
		v.mu.Unlock()
		return errTooSoon
	}
	f := &flight{done: make(chan struct{})}
	v.inflight, v.lastAttempt = f, now
	v.mu.Unlock()

	// The fetch is shared: one caller giving up must not fail the others.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	keys, err := v.fetch(fctx)
	cancel()

	v.mu.Lock()
	if err == nil {
		v.keys, v.fetchedAt = keys, now
	}
	f.err, v.inflight = err, nil
	v.mu.Unlock()
	close(f.done)
	return err
}

func (v *Verifier) fetch(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", v.cfg.JWKSURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: key set larger than %d bytes", v.cfg.JWKSURL, maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: %w", v.cfg.JWKSURL, err)
	}
	keys := map[string]jose.JSONWebKey{}
	for _, k := range set.Keys {
		// Only public signing keys of an allowed algorithm are kept; an
		// HMAC or private key in a JWKS is a misconfiguration we ignore.
		if !k.IsPublic() || k.KeyID == "" || (k.Use != "" && k.Use != "sig") || keyAlg(k) == "" {
			continue
		}
		keys[k.KeyID] = k
	}
	return keys, nil
}

// keyAlg is the only algorithm k may verify: its declared alg when that
// matches its key type, else the one its type implies. "" means unusable.
func keyAlg(k jose.JSONWebKey) string {
	var implied string
	switch pub := k.Key.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			implied = "ES256"
		}
	case *rsa.PublicKey:
		if pub.N.BitLen() >= 2048 {
			implied = "RS256"
		}
	}
	if k.Algorithm != "" && k.Algorithm != implied {
		return ""
	}
	return implied
}
