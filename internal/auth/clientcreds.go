package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Outcomes of the client_credentials grant (FusionAuth endpoints.mdx,
// Client Credentials Grant).
var (
	// ErrUnknownEntity: no entity has that clientId (401 invalid_client_id).
	ErrUnknownEntity = errors.New("auth: unknown entity client")
	// ErrEntitySecret: the client secret does not match (401).
	ErrEntitySecret = errors.New("auth: wrong entity client secret")
	// ErrTargetEntityScope: a target-entity scope names no entity, or one
	// that grants the client nothing (400 invalid_target_entity_scope).
	ErrTargetEntityScope = errors.New("auth: invalid target entity scope")
	// ErrEntityPermissionScope: a permission the grant does not give
	// (400 invalid_entity_permission_scope).
	ErrEntityPermissionScope = errors.New("auth: invalid entity permission scope")
)

// ClientCredentials is what the grant issues.
type ClientCredentials struct {
	AccessToken string
	ExpiresIn   int64
	Scope       string
}

// ClientCredentialsGrant authenticates an entity by its client credentials
// and issues an access token for the targets its scope names
// (target-entity:<id>[:perm,perm]; other scope tokens are ignored). The
// grant lives on the target, with the requester as recipient; no
// permission listed means all the grant gives. Claims: sub = the
// requester, aud = the target (a string for one, an array for several),
// permissions = {target: [perms]}, gty = ["client_credentials"].
func (s *Service) ClientCredentialsGrant(ctx context.Context, clientID, secret, scope, ip string) (ClientCredentials, error) {
	en, err := s.cfg.Store.FindEntityByClientID(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return ClientCredentials{}, ErrUnknownEntity
	}
	if err != nil {
		return ClientCredentials{}, fmt.Errorf("auth: find entity: %w", err)
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(en.ClientSecret))
	if en.ClientSecret == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, ip: ip, outcome: "client_credentials_refused"})
		return ClientCredentials{}, ErrEntitySecret
	}
	perms, err := s.targetPermissions(ctx, en, scope)
	if err != nil {
		return ClientCredentials{}, err
	}
	typ, err := s.cfg.Store.GetEntityType(ctx, en.TypeID)
	if err != nil {
		return ClientCredentials{}, fmt.Errorf("auth: entity type: %w", err)
	}
	tenant, err := s.tenant(ctx, en.TenantID)
	if err != nil {
		return ClientCredentials{}, fmt.Errorf("auth: entity tenant: %w", err)
	}
	set := resolveSettings(tenant, storage.Application{})
	if j := typ.JWTConfiguration; j.Enabled && j.TimeToLiveInSeconds > 0 {
		set.AccessTTL = storage.Lifetime(j.TimeToLiveInSeconds, time.Second)
	}
	now := s.cfg.Now()
	c := map[string]any{"iss": s.issuer(tenant), "sub": en.ID, "iat": now.Unix(), "exp": now.Add(set.AccessTTL).Unix(),
		"jti": newID(), "tid": en.TenantID, "gty": []string{"client_credentials"}, "permissions": perms, "scope": scope}
	targets := slices.Sorted(func(yield func(string) bool) {
		for k := range perms {
			if !yield(k) {
				return
			}
		}
	})
	switch len(targets) {
	case 0:
	case 1:
		c["aud"] = targets[0]
	default:
		c["aud"] = targets
	}
	tok, err := s.cfg.Keys.Sign(ctx, set.Alg, c)
	if err != nil {
		return ClientCredentials{}, fmt.Errorf("auth: sign client credentials token: %w", err)
	}
	s.emit(ctx, event{name: evIssued, level: slog.LevelInfo, ip: ip, outcome: "client_credentials"})
	return ClientCredentials{AccessToken: tok, ExpiresIn: int64(set.AccessTTL / time.Second), Scope: scope}, nil
}

// targetPermissions resolves the target-entity scopes against the grants.
func (s *Service) targetPermissions(ctx context.Context, en storage.Entity, scope string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, tok := range strings.Fields(scope) {
		rest, ok := strings.CutPrefix(tok, "target-entity:")
		if !ok {
			continue // FusionAuth ignores other scope values
		}
		target, list, _ := strings.Cut(rest, ":")
		if uuid.Validate(target) != nil {
			return nil, ErrTargetEntityScope
		}
		target = strings.ToLower(target)
		t, err := s.cfg.Store.GetEntity(ctx, target)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && t.TenantID != en.TenantID) {
			return nil, ErrTargetEntityScope
		}
		if err != nil {
			return nil, fmt.Errorf("auth: target entity: %w", err)
		}
		g, err := s.cfg.Store.GetEntityGrant(ctx, target, en.ID, "")
		if errors.Is(err, storage.ErrNotFound) {
			return nil, ErrTargetEntityScope
		}
		if err != nil {
			return nil, fmt.Errorf("auth: entity grant: %w", err)
		}
		want := g.Permissions
		if list != "" {
			want = strings.Split(list, ",")
			for _, p := range want {
				if !slices.Contains(g.Permissions, p) {
					return nil, ErrEntityPermissionScope
				}
			}
		}
		out[target] = append(out[target], want...)
		slices.Sort(out[target])
		out[target] = slices.Compact(out[target])
	}
	return out, nil
}
