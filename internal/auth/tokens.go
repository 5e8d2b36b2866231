package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Values of the authenticationType claim (FusionAuth authenticationtype.json).
const (
	authPassword     = "PASSWORD"
	authRefreshToken = "REFRESH_TOKEN"
)

// OAuth scopes with a meaning here (OIDC Core §3.1.2.1, §11).
const (
	scopeOpenID        = "openid"
	scopeOfflineAccess = "offline_access"
)

// grant is everything one access token is minted from.
type grant struct {
	tenant storage.Tenant
	app    storage.Application // zero when /api/login named no application
	user   storage.User
	reg    *storage.Registration // nil when not registered for app
	// groupRoles are the roles of app the user's groups grant; the roles
	// claim is their union with the registration's.
	groupRoles []string
	authType   string
	authTime   time.Time
	refreshID  string // the sid claim; empty when no refresh token exists
	oauth      bool
	scopes     []string
	set        settings
	// jkt, when set, binds the access token to a DPoP key: cnf.jkt
	// (RFC 9449 §6.1), the RFC 7638 thumbprint.
	jkt string
	// sessionID, nonce and code go into the id token of a code exchange:
	// sid (the login session), nonce and c_hash (OIDC Core §3.1.3.6).
	sessionID, nonce, code string
	// maxExp, when set, caps exp (seconds): /api/jwt/issue never outlives
	// the token it was issued from.
	maxExp int64
}

// issuer is the iss claim: the server's configured public URL when set (so
// OIDC discovery and the claim agree), else the tenant's issuer.
func (s *Service) issuer(t storage.Tenant) string {
	if s.cfg.Issuer != "" {
		return s.cfg.Issuer
	}
	return t.Issuer
}

// mint signs the access token (and, for OAuth with openid, the ID token) of g
// into out. Claims follow fusionauth-api.md §5.2.
func (s *Service) mint(ctx context.Context, g grant, now time.Time, out *Tokens) error {
	iat := now.Unix()
	exp := now.Add(g.set.AccessTTL).Unix()
	if g.maxExp > 0 && g.maxExp < exp {
		exp = g.maxExp
	}
	c := map[string]any{
		"iss":                s.issuer(g.tenant),
		"sub":                g.user.ID,
		"iat":                iat,
		"exp":                exp,
		"jti":                newID(),
		"auth_time":          g.authTime.Unix(),
		"authenticationType": g.authType,
		"tid":                g.user.TenantID,
		"email_verified":     g.user.Verified,
	}
	if g.user.Email != "" {
		c["email"] = g.user.Email
	}
	if g.user.Username != "" {
		c["preferred_username"] = g.user.Username
	}
	if g.app.ID != "" {
		c["aud"] = g.app.ID
	}
	if g.refreshID != "" {
		c["sid"] = g.refreshID
	}
	if g.reg != nil {
		// FusionAuth: present (maybe empty) when registered.
		roles := unionRoles(g.reg.Roles, g.groupRoles)
		c["applicationId"] = g.app.ID
		c["roles"] = roles
	}
	if g.oauth {
		c["scope"] = strings.Join(g.scopes, " ")
	}
	if g.jkt != "" {
		c["cnf"] = map[string]string{"jkt": g.jkt}
	}
	// The application's lambda adds its claims last; it cannot change the
	// ones above that verifiers trust (lambda.Reserved).
	c = s.populate(ctx, g.app.LambdaConfiguration.AccessTokenPopulateID, c, g)
	at, err := s.cfg.Keys.SignAs(ctx, g.set.AccessKeyID, g.set.Alg, c)
	if err != nil {
		return fmt.Errorf("auth: sign access token: %w", err)
	}
	out.AccessToken = at
	out.AccessTokenExpiresAt = time.Unix(exp, 0)
	out.Scopes = g.scopes
	if !g.oauth || !slices.Contains(g.scopes, scopeOpenID) {
		return nil
	}
	idc := s.populate(ctx, g.app.LambdaConfiguration.IDTokenPopulateID, idClaims(c, g, at), g)
	id, err := s.cfg.Keys.SignAs(ctx, g.set.IDKeyID, g.set.Alg, idc)
	if err != nil {
		return fmt.Errorf("auth: sign id token: %w", err)
	}
	out.IDToken = id
	return nil
}

// idClaims builds the OIDC ID token from the access token's claims. Since
// FusionAuth 1.24 the ID token carries no applicationId/roles. A code
// exchange adds c_hash, nonce and sid (the login session, not the refresh
// token: FusionAuth tokens.mdx).
func idClaims(ac map[string]any, g grant, accessToken string) map[string]any {
	c := map[string]any{
		"iss":            ac["iss"],
		"sub":            ac["sub"],
		"aud":            g.app.ID,
		"iat":            ac["iat"],
		"exp":            ac["exp"],
		"jti":            newID(),
		"auth_time":      ac["auth_time"],
		"tid":            ac["tid"],
		"at_hash":        halfHash(accessToken),
		"email_verified": g.user.Verified,
	}
	if g.code != "" {
		c["c_hash"] = halfHash(g.code)
	}
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	if g.sessionID != "" {
		c["sid"] = g.sessionID
	}
	u := g.user
	for k, v := range map[string]string{
		"email": u.Email, "preferred_username": u.Username, "name": u.FullName,
		"given_name": u.FirstName, "middle_name": u.MiddleName, "family_name": u.LastName,
		"birthdate": u.BirthDate, "picture": u.ImageURL, "phone_number": u.MobilePhone,
	} {
		if v != "" {
			c[k] = v
		}
	}
	return c
}

// halfHash is at_hash and c_hash: the left half of SHA-256 of the value,
// base64url (OIDC Core §3.1.3.6, §3.3.2.11); SHA-256 because ES256 and
// RS256, the only signing algorithms, both use it.
func halfHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// issueRefresh creates a new refresh-token family and returns the raw value,
// which exists only in this response: storage gets its hash. Login does not
// use it: it stores the record inside RecordLogin's transaction instead.
func (s *Service) issueRefresh(ctx context.Context, g grant, now time.Time, req LoginRequest) (string, storage.RefreshToken, error) {
	raw, rt := s.newRefresh(g, now, req)
	if err := s.cfg.Store.CreateRefreshToken(ctx, rt); err != nil {
		return "", storage.RefreshToken{}, fmt.Errorf("auth: create refresh token: %w", err)
	}
	return raw, rt, nil
}

// newRefresh draws a refresh-token value for g (generation 0 of the family
// g.refreshID, refresh_value.go) and builds its record (hash only), without
// storing it.
func (s *Service) newRefresh(g grant, now time.Time, req LoginRequest) (string, storage.RefreshToken) {
	raw := s.firstValue(g.refreshID)
	v := readValue(raw)
	dev := req.Device
	dev.LastAccessedAddress = req.IPAddress
	dev.LastAccessedInstant = now.UnixMilli()
	return raw, storage.RefreshToken{
		ID:            g.refreshID,
		TenantID:      g.user.TenantID,
		UserID:        g.user.ID,
		ApplicationID: g.app.ID,
		Hash:          v.hash,
		ReadByID:      v.family == g.refreshID, // looked up by id (refresh_value.go)
		StartInstant:  now,
		LastUsedAt:    now,
		ExpiresAt:     g.set.refreshExpiry(now, now),
		AuthTime:      g.authTime,
		Scopes:        g.scopes,
		DPoPJKT:       req.DPoPJKT,
		Device:        dev,
		InsertedAt:    now,
	}
}

// findRegistration returns the user's registration for appID, or nil.
func findRegistration(regs []storage.Registration, appID string) *storage.Registration {
	for i := range regs {
		if regs[i].ApplicationID == appID {
			return &regs[i]
		}
	}
	return nil
}
