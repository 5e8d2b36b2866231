package jwtverify

import (
	"context"
	"math"
	"time"

	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// Claims are a verified token's claims. Named fields carry FusionAuth's
// access-token claims (fusionauth-api.md §5.2); Raw has all of them.
type Claims struct {
	Subject       string
	Issuer        string
	Audience      []string
	ExpiresAt     time.Time
	IssuedAt      time.Time
	ID            string // jti
	ApplicationID string // applicationId
	Email         string
	SessionID     string // sid: the refresh token id of the login
	Roles         []string
	// DPoPJKT is cnf.jkt (RFC 9449 §6.1): the thumbprint of the key the
	// token is bound to, "" for a Bearer token.
	DPoPJKT string
	Raw     map[string]any
}

func newClaims(raw map[string]any) (*Claims, error) {
	aud, err := strictjwt.Audience(raw)
	if err != nil {
		return nil, err
	}
	c := &Claims{
		Subject: str(raw, "sub"), Issuer: str(raw, "iss"), Audience: aud,
		ExpiresAt: instant(raw, "exp"), IssuedAt: instant(raw, "iat"),
		ID: str(raw, "jti"), ApplicationID: str(raw, "applicationId"),
		Email: str(raw, "email"), SessionID: str(raw, "sid"), Raw: raw,
	}
	if cnf, ok := raw["cnf"].(map[string]any); ok {
		c.DPoPJKT, _ = cnf["jkt"].(string)
	}
	if roles, ok := raw["roles"].([]any); ok {
		for _, r := range roles {
			if s, ok := r.(string); ok {
				c.Roles = append(c.Roles, s)
			}
		}
	}
	return c, nil
}

func str(raw map[string]any, name string) string {
	s, _ := raw[name].(string)
	return s
}

// instant converts a NumericDate; out-of-range values saturate rather than
// wrap (CheckClaims already compared them as floats).
func instant(raw map[string]any, name string) time.Time {
	f, ok := raw[name].(float64)
	if !ok {
		return time.Time{}
	}
	if f > math.MaxInt64/2 || f < -math.MaxInt64/2 {
		f = math.Copysign(math.MaxInt64/4, f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

type ctxKey struct{}

// ClaimsFromContext returns the claims Middleware stored for this request.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Claims)
	return c, ok
}

// WithClaims returns ctx carrying c, for handlers tested without Middleware.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}
