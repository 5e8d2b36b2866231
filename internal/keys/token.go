package keys

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// Verify's rejection reasons. Each matches ErrInvalidToken with errors.Is,
// and they are the same values jwtverify returns (one rule set, strictjwt).
var (
	ErrInvalidToken    = strictjwt.ErrInvalidToken
	ErrTooLarge        = strictjwt.ErrTooLarge
	ErrMalformed       = strictjwt.ErrMalformed
	ErrAlgorithm       = strictjwt.ErrAlgorithm
	ErrForbiddenHeader = strictjwt.ErrForbiddenHeader
	ErrType            = strictjwt.ErrType
	ErrUnknownKey      = strictjwt.ErrUnknownKey
	ErrSignature       = strictjwt.ErrSignature
	ErrNonCanonical    = strictjwt.ErrNonCanonical
	ErrMissingExp      = strictjwt.ErrMissingExp
	ErrExpired         = strictjwt.ErrExpired
	ErrNotYetValid     = strictjwt.ErrNotYetValid
	ErrIssuer          = strictjwt.ErrIssuer
)

// Sign signs claims with the active key of alg ("" = ES256). The header is
// {"alg","kid","typ":"JWT"} as FusionAuth's access tokens (fusionauth-api.md
// §5.1). The caller sets exp, iat and the other claims.
func (m *Manager) Sign(ctx context.Context, alg string, claims map[string]any) (string, error) {
	if alg == "" {
		alg = ES256
	}
	// pending is read before the set: should Start's key be stored and
	// pending cleared between the two reads, the set read may predate the
	// key, and readySet's read then has it.
	wasPending := m.pending.Load() != nil
	set, err := m.current(ctx)
	if err != nil {
		return "", err
	}
	k := set.signer(alg, m.opts.Now(), claimExp(claims))
	if k == nil && (wasPending || m.pending.Load() != nil) {
		// Start's RS256 key is still being stored (Ready).
		if set, err = m.readySet(ctx); err != nil {
			return "", err
		}
		k = set.signer(alg, m.opts.Now(), claimExp(claims))
	}
	if k == nil && m.opts.OnDemand {
		if set, err = m.onDemand(ctx, alg); err != nil {
			return "", err
		}
		k = set.signer(alg, m.opts.Now(), claimExp(claims))
	}
	if k == nil {
		return "", fmt.Errorf("%w: %q", ErrNoActiveKey, alg)
	}
	return sign(k, claims)
}

// SignWithKey signs claims for a webhook whose
// signatureConfiguration.signingKeyId is kid and whose key was of algorithm
// alg when the webhook was saved: with the key that signs for kid's
// algorithm now. That is kid itself while it is its algorithm's signing
// key; after a rotation its successor signs once it is active, and goes on
// signing after kid is retired and no longer in the set, since alg still
// says which algorithm the webhook's receiver expects. Only when kid is
// unknown and alg is empty (a webhook saved before its algorithm was
// recorded) does the default algorithm sign. The header's kid always names
// the key used, which the JWKS publishes, so receivers that look keys up
// by kid follow a rotation without a change.
func (m *Manager) SignWithKey(ctx context.Context, kid, alg string, claims map[string]any) (string, error) {
	wasPending := m.pending.Load() != nil // before the set, as in Sign
	set, err := m.current(ctx)
	if err != nil {
		return "", err
	}
	now := m.opts.Now()
	if k := set.lookup(kid, now); k != nil {
		alg = k.rec.Algorithm
	}
	if alg == "" {
		alg = ES256
	}
	k := set.active(alg, now)
	if k == nil && (wasPending || m.pending.Load() != nil) {
		if set, err = m.readySet(ctx); err != nil {
			return "", err
		}
		k = set.active(alg, m.opts.Now())
	}
	if k == nil {
		return "", fmt.Errorf("%w: for key %q", ErrNoActiveKey, kid)
	}
	return sign(k, claims)
}

// readySet is the key set once Start's RS256 key is in it (Ready).
func (m *Manager) readySet(ctx context.Context) (keySet, error) {
	if err := m.Ready(ctx); err != nil {
		return keySet{}, err
	}
	return m.current(ctx)
}

// sign makes the compact JWS of claims with k.
func sign(k *key, claims map[string]any) (string, error) {
	// encoding/json sorts map keys, so equal claims give equal tokens.
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("keys: encode claims: %w", err)
	}
	tok, err := k.signer.sign(payload)
	if err != nil {
		return "", fmt.Errorf("keys: sign: %w", err)
	}
	return tok, nil
}

// Verify checks a compact JWS strictly and returns its claims: size before
// parsing, header allow-list, alg in {ES256, RS256} and equal to the key's
// own algorithm, kid from our key set only, signature, then exp (required),
// nbf and iss. See strictjwt for the rules and the RFCs behind them.
func (m *Manager) Verify(ctx context.Context, token string) (map[string]any, error) {
	h, err := strictjwt.ParseHeader(token, Algorithms)
	if err != nil {
		return nil, err
	}
	set, err := m.current(ctx)
	if err != nil {
		return nil, err
	}
	now := m.opts.Now()
	k := set.lookup(h.Kid, now)
	if k == nil && set.byID[h.Kid] == nil {
		// Maybe another node rotated since our last load; reloads for this
		// reason are rate-limited inside reloadForUnknownKID.
		if set, _, err = m.reloadForUnknownKID(ctx); err != nil {
			return nil, err
		}
		k = set.lookup(h.Kid, now)
	}
	if k == nil {
		return nil, ErrUnknownKey
	}
	// The header's alg must be the algorithm the key was made for; HS256
	// never reaches here (not in Algorithms), ES256-over-RSA is refused.
	if h.Alg != k.rec.Algorithm {
		return nil, ErrAlgorithm
	}
	claims, err := strictjwt.VerifySignature(token, h, k.public)
	if err != nil {
		return nil, err
	}
	if err := strictjwt.CheckClaims(claims, strictjwt.Rules{Now: now, Leeway: m.opts.Leeway, Issuer: m.opts.Issuer}); err != nil {
		return nil, err
	}
	return claims, nil
}

// claimExp reads the exp the caller set (0 when absent).
func claimExp(claims map[string]any) int64 {
	switch v := claims["exp"].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

// SignAs signs claims for a token whose configuration names the key kid
// (an application's jwtConfiguration.accessTokenKeyId or idTokenKeyId):
// with kid's algorithm while kid is published, else with alg (a kid
// retired or never known falls back to the application's algorithm rather
// than failing its logins; the console saves the chosen access token key's
// algorithm as the application's signingAlgorithm). Within the algorithm
// Sign picks the key: kid itself while it is that algorithm's active key,
// its successor once a rotation has activated one, so a chosen key follows
// rotations as a webhook's signingKeyId does. The header's kid names the
// key used.
func (m *Manager) SignAs(ctx context.Context, kid, alg string, claims map[string]any) (string, error) {
	if kid != "" {
		set, err := m.current(ctx)
		if err != nil {
			return "", err
		}
		if k := set.lookup(kid, m.opts.Now()); k != nil {
			alg = k.rec.Algorithm
		}
	}
	return m.Sign(ctx, alg, claims)
}
