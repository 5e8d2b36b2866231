package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Codes sent outside a login (POST /api/two-factor/send for enable or
// disable, accounts spec §10.6): an emailed six-digit code proves an
// address before an email method is added, or proves a method before it is
// removed. One live code per user and target; it lives
// twoFactorOneTimeCodeIdTimeToLiveInSeconds (60 s), is single use and dies
// after maxTwoFactorAttempts tries.

const defaultMethodCodeTTL = 60 * time.Second

// methodCodeKey is the challenge key of a user's code for a target (an
// email address, lower case, or a method id). The code itself is in Data
// as a hash: six digits are too few to be a key.
func methodCodeKey(userID, target string) []byte {
	h := sha256.Sum256([]byte("method-code\x00" + userID + "\x00" + strings.ToLower(target)))
	return h[:]
}

// IssueMethodCode draws a code for user and target, replacing any earlier
// one, and returns it for the caller to send; ErrCodeMailLimited past the
// per-user limit (code_mail_limit.go).
func (s *Service) IssueMethodCode(ctx context.Context, user storage.User, target string) (string, error) {
	if err := s.countCodeMail(ctx, user.ID); err != nil {
		return "", err
	}
	now := s.cfg.Now()
	key := methodCodeKey(user.ID, target)
	if _, err := s.cfg.Store.ConsumeChallenge(ctx, storage.ChallengeTwoFactorEnable, key, now); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	// An expired row with the same key may remain until the janitor's
	// PurgeChallenges, so make room for the new one.
	if _, err := s.cfg.Store.ConsumeChallenge(ctx, storage.ChallengeTwoFactorEnable, key, time.Time{}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	code := numericCode(6)
	c := storage.Challenge{Hash: key, Kind: storage.ChallengeTwoFactorEnable, UserID: user.ID, TenantID: user.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(defaultMethodCodeTTL), Data: CodeHash("method", code)}
	if err := s.cfg.Store.CreateChallenge(ctx, c); err != nil {
		return "", fmt.Errorf("auth: store method code: %w", err)
	}
	return code, nil
}

// checkIssuedCode checks code against the user's live code for target:
// consumed when right. Each answer is counted before it is checked
// (ReserveChallengeAttempt), so of any number of concurrent answers at most
// maxTwoFactorAttempts are checked against one code; then it is dead.
func (s *Service) checkIssuedCode(ctx context.Context, userID, target, code string) (bool, error) {
	now := s.cfg.Now()
	key := methodCodeKey(userID, target)
	c, err := s.cfg.Store.GetChallenge(ctx, storage.ChallengeTwoFactorEnable, key, now)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := s.cfg.Store.ReserveChallengeAttempt(ctx, storage.ChallengeTwoFactorEnable, key, now, maxTwoFactorAttempts); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil // its answers are spent, or it is gone
		}
		return false, err
	}
	if !sameSecret(c.Data, CodeHash("method", code)) {
		return false, nil
	}
	// The code may have been replaced (a new send) since it was read: the
	// answer is right only when the code it consumes is the one it was
	// checked against. Otherwise the old code would be accepted once more,
	// and the new one spent by an answer that never matched it.
	spent, err := s.cfg.Store.ConsumeChallenge(ctx, storage.ChallengeTwoFactorEnable, key, now)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil // another request spent it first
	}
	if err != nil {
		return false, err
	}
	return sameSecret(spent.Data, c.Data), nil
}

// CheckAddressCode checks the code sent to prove email before an email
// method is added.
func (s *Service) CheckAddressCode(ctx context.Context, userID, email, code string) (bool, error) {
	return s.checkIssuedCode(ctx, userID, "email:"+email, code)
}

// CheckMethodCode checks a current code of an existing method: a TOTP code
// (accepted once, like at login) or the code last sent to the method.
func (s *Service) CheckMethodCode(ctx context.Context, m storage.TwoFactorMethod, code string) (bool, error) {
	if m.Method == MethodAuthenticator {
		return s.checkTOTP(ctx, m, code, s.cfg.Now())
	}
	return s.checkIssuedCode(ctx, m.UserID, "method:"+m.ID, code)
}
