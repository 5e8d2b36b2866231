package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Trust this device (accounts spec §10.9): a login completed with
// trustComputer gets a twoFactorTrustId (and the fusionauth.trust cookie)
// that skips the second factor on later logins of the same user until it
// expires, or until the user's password changes, a second factor is
// removed, or every session of the user is revoked (latchkey's addition:
// each means someone may have been locked out of their own account, so
// every device proves itself again; the last two delete the trusts in the
// same write as the change, storage RemoveTwoFactorMethod(s),
// DisableTwoFactor and Revocation.EndTrusts).

// defaultTrustTTL is FusionAuth's twoFactorTrustIdTimeToLiveInSeconds.
const defaultTrustTTL = 30 * 24 * time.Hour

// trustData is what a trust remembers.
type trustData struct {
	ApplicationID string `json:"applicationId,omitempty"`
	// Password is a fingerprint of the password hash the user had when the
	// device was trusted; any change of it ends the trust.
	Password []byte `json:"password"`
}

// passwordFingerprint changes whenever the stored password does (a new
// password always has a new salt or hash string).
func passwordFingerprint(h storage.PasswordHash) []byte {
	sum := sha256.Sum256([]byte(h.Scheme + "\x00" + strconv.Itoa(h.Factor) + "\x00" + h.Salt + "\x00" + h.Hash))
	return sum[:16]
}

func sameSecret(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// trustDevice stores a trust for user and puts its id in out.
func (s *Service) trustDevice(ctx context.Context, tenant storage.Tenant, app storage.Application, user storage.User,
	now time.Time, out *Tokens) error {
	data, err := json.Marshal(trustData{ApplicationID: app.ID, Password: passwordFingerprint(user.Password)})
	if err != nil {
		return err
	}
	raw := newRefreshValue()
	exp := now.Add(defaultTrustTTL)
	if err := s.cfg.Store.CreateChallenge(ctx, storage.Challenge{Hash: hashToken(raw), Kind: storage.ChallengeTwoFactorTrust,
		UserID: user.ID, TenantID: tenant.ID, CreatedAt: now, ExpiresAt: exp, Data: data}); err != nil {
		return fmt.Errorf("auth: store twoFactorTrustId: %w", err)
	}
	out.TwoFactorTrustID, out.TrustExpiresAt = raw, exp
	s.emit(ctx, event{name: evTrust, level: slog.LevelInfo, userID: user.ID, appID: app.ID, outcome: "trusted"})
	return nil
}

// trusted reports whether trustID lets user skip the second factor for
// app: live, the user's, the same password, and allowed by the
// application's trustPolicy (Any, This, None).
func (s *Service) trusted(ctx context.Context, trustID string, app storage.Application, user storage.User) (bool, error) {
	if trustID == "" || len(trustID) > maxRefreshTokenLen {
		return false, nil
	}
	policy := "Any"
	if c := app.MultiFactorConfiguration; c != nil && c.TrustPolicy != "" {
		policy = c.TrustPolicy
	}
	if policy == "None" {
		return false, nil
	}
	c, err := s.cfg.Store.GetChallenge(ctx, storage.ChallengeTwoFactorTrust, hashToken(trustID), s.cfg.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("auth: read twoFactorTrustId: %w", err)
	}
	var d trustData
	if c.UserID != user.ID || json.Unmarshal(c.Data, &d) != nil {
		return false, nil
	}
	if policy == "This" && d.ApplicationID != app.ID {
		return false, nil
	}
	return sameSecret(d.Password, passwordFingerprint(user.Password)), nil
}
