package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TwoFactorStatus is the answer of GET/POST /api/two-factor/status
// (accounts spec §10.9): whether a login of the user, presenting the
// trust, would be asked for a second factor, and the trust itself when it
// is live and the user's.
type TwoFactorStatus struct {
	Required bool
	Trust    *TrustInfo
}

// TrustInfo is FusionAuth's TwoFactorTrust.
type TrustInfo struct {
	ApplicationID string
	Start, Expiry time.Time
}

// TwoFactorStatusRequest names the user (already resolved in the caller's
// scope), an optional application and the optional twoFactorTrustId.
type TwoFactorStatusRequest struct {
	User          storage.User
	ApplicationID string
	TrustID       string
}

// TwoFactorStatus decides as a login would (secondFactorMethods: the login
// policy, the user's methods, the trust under the application's
// trustPolicy), so the answer cannot drift from what /api/login does.
// ErrUnknownApplication for an application that is not active.
func (s *Service) TwoFactorStatus(ctx context.Context, req TwoFactorStatusRequest) (TwoFactorStatus, error) {
	var app storage.Application
	if req.ApplicationID != "" {
		a, err := s.application(ctx, req.ApplicationID)
		switch {
		case errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(a)):
			return TwoFactorStatus{}, ErrUnknownApplication
		case err != nil:
			return TwoFactorStatus{}, fmt.Errorf("auth: get application: %w", err)
		}
		app = a
	}
	tenant, err := s.tenant(ctx, req.User.TenantID)
	if err != nil {
		return TwoFactorStatus{}, fmt.Errorf("auth: get tenant %q: %w", req.User.TenantID, err)
	}
	ms, err := s.secondFactorMethods(ctx, LoginRequest{TwoFactorTrustID: req.TrustID}, tenant, app, req.User)
	if err != nil {
		return TwoFactorStatus{}, err
	}
	st := TwoFactorStatus{Required: len(ms) > 0}
	st.Trust, err = s.trustInfo(ctx, req.TrustID, req.User)
	return st, err
}

// trustInfo describes a live trust of user that still holds for their
// current password; nil for any other value, so the answer tells a caller
// nothing about other users' trusts.
func (s *Service) trustInfo(ctx context.Context, trustID string, user storage.User) (*TrustInfo, error) {
	if trustID == "" || len(trustID) > maxRefreshTokenLen {
		return nil, nil
	}
	c, err := s.cfg.Store.GetChallenge(ctx, storage.ChallengeTwoFactorTrust, hashToken(trustID), s.cfg.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read twoFactorTrustId: %w", err)
	}
	var d trustData
	if c.UserID != user.ID || json.Unmarshal(c.Data, &d) != nil || !sameSecret(d.Password, passwordFingerprint(user.Password)) {
		return nil, nil
	}
	return &TrustInfo{ApplicationID: d.ApplicationID, Start: c.CreatedAt, Expiry: c.ExpiresAt}, nil
}
