package keys

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// hintLeeway is how long after its exp an id token is still accepted as an
// id_token_hint: OIDC RP-Initiated Logout §2 lets the OP accept an expired
// one (FusionAuth does), since a user who logs out after an hour still holds
// the id token of the login. The key must still be published, so a token of
// a retired key is refused whatever its age.
const hintLeeway = 30 * 24 * time.Hour

// VerifyHint is Verify for an id_token_hint: every check but that exp may
// have passed (within hintLeeway).
func (m *Manager) VerifyHint(ctx context.Context, token string) (map[string]any, error) {
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
	if k == nil {
		return nil, ErrUnknownKey
	}
	if h.Alg != k.rec.Algorithm {
		return nil, ErrAlgorithm
	}
	claims, err := strictjwt.VerifySignature(token, h, k.public)
	if err != nil {
		return nil, err
	}
	if err := strictjwt.CheckClaims(claims, strictjwt.Rules{Now: now, Leeway: hintLeeway, Issuer: m.opts.Issuer}); err != nil {
		return nil, err
	}
	return claims, nil
}

// SignWith signs claims with the key named kid, which must be the active
// key of its algorithm (POST /api/jwt/vend's keyId): a retiring or unknown
// key is ErrUnknownKey.
func (m *Manager) SignWith(ctx context.Context, kid string, claims map[string]any) (string, error) {
	set, err := m.current(ctx)
	if err != nil {
		return "", err
	}
	k := set.lookup(kid, m.opts.Now())
	if k == nil || set.active(k.rec.Algorithm, m.opts.Now()) != k {
		return "", ErrUnknownKey
	}
	return m.Sign(ctx, k.rec.Algorithm, claims)
}
