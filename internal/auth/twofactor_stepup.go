package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A two-factor step-up (FusionAuth two-factor.mdx "Start Multi-Factor";
// the multi-factor guide's "Trust Tokens and Trust Challenges"): an API key
// starts a pending login for a user without a first factor
// (POST /api/two-factor/start), and the user completes it as any 242 is
// completed, at POST /api/two-factor/login, under the same attempt cap and
// lockout charge (TwoFactorLogin). The completion is a login, as
// FusionAuth's is, and carries a trustToken: the single-use, short-lived
// proof that the user just presented a second factor, which a change of the
// password of a user with two-factor methods spends (internal/manage).

// maxStepUpCode bounds a caller's own code: it is hashed beside the
// twoFactorId, never looked up by itself.
const maxStepUpCode = 64

// StepUpRequest is POST /api/two-factor/start, its user already resolved
// (by userId, else loginId) by the caller.
type StepUpRequest struct {
	User          storage.User
	ApplicationID string
	// Code is the caller's own code (to deliver out of band); empty: a
	// six-digit code is drawn. Either way it is answered to the caller and
	// completes this twoFactorId like an emailed code.
	Code string
	// TrustChallenge, when given, binds the trustToken the completion
	// issues: the token is only good with the same challenge.
	TrustChallenge string
	State          map[string]any
}

// StepUp is the answer: the pending login's twoFactorId, its code and the
// user's methods (FusionAuth's TwoFactorStartResponse).
type StepUp struct {
	TwoFactorID string
	Code        string
	Methods     []storage.TwoFactorMethod
}

// ErrStepUpCode: the caller's code is longer than maxStepUpCode (400
// [tooLong]code).
var ErrStepUpCode = errors.New("auth: step-up code too long")

// StartStepUp stores a pending login for req.User. An applicationId that
// names no active application is ErrUnknownApplication; a user without
// methods is started too (FusionAuth: the code is then delivered out of
// band), though only a user with methods needs its trustToken.
func (s *Service) StartStepUp(ctx context.Context, req StepUpRequest) (StepUp, error) {
	now := s.cfg.Now()
	if len(req.Code) > maxStepUpCode {
		return StepUp{}, ErrStepUpCode
	}
	if req.ApplicationID != "" {
		app, err := storage.Application{}, storage.ErrNotFound
		if validID(req.ApplicationID) { // every application id is a UUID; nothing else reaches a query
			app, err = s.application(ctx, req.ApplicationID)
		}
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (!appActive(app) || (app.TenantID != "" && app.TenantID != req.User.TenantID))) {
			return StepUp{}, ErrUnknownApplication
		}
		if err != nil {
			return StepUp{}, fmt.Errorf("auth: get application: %w", err)
		}
	}
	methods, err := s.cfg.Store.ListTwoFactorMethods(ctx, req.User.ID)
	if err != nil {
		return StepUp{}, fmt.Errorf("auth: list two-factor methods: %w", err)
	}
	code := strings.TrimSpace(req.Code)
	if code == "" {
		code = numericCode(6)
	}
	raw := newRefreshValue()
	hash := hashToken(raw)
	// No password was presented: the completion's tokens (and its
	// user.login.success) say the one-time code that was, as FusionAuth's
	// authenticationtype.json has no two-factor value; a password login's
	// second step keeps PASSWORD, the credential of its first.
	p := pendingLogin{ApplicationID: req.ApplicationID, State: req.State, AuthType: authOneTimePassword,
		TrustChallenge: TrustChallengeHash(req.TrustChallenge),
		// The start's code is checked as an emailed one is, for as long as
		// the twoFactorId lives; POST /api/two-factor/send replaces it.
		EmailCodeHash: CodeHash("login:"+string(hash), code), EmailCodeExpires: now.Add(defaultTwoFactorIDTTL).UnixMilli()}
	if err := s.storePending(ctx, hash, p, req.User, now); err != nil {
		return StepUp{}, err
	}
	return StepUp{TwoFactorID: raw, Code: code, Methods: methods}, nil
}

// TrustChallengeHash is the stored form of a trustChallenge; nil for none.
func TrustChallengeHash(challenge string) []byte {
	if challenge == "" {
		return nil
	}
	h := sha256.Sum256([]byte("trustChallenge:" + challenge))
	return h[:]
}

// issueTrustToken stores a trustToken for the user of a completed second
// factor, bound to the trustChallenge its start gave, for the tenant's
// trustTokenTimeToLiveInSeconds (FusionAuth's default 180 s).
func (s *Service) issueTrustToken(ctx context.Context, p pending, now time.Time) (string, error) {
	ttl := p.tenant.ExternalIdentifierConfiguration.WithDefaults().TrustTokenTimeToLiveInSeconds
	raw := newRefreshValue()
	rec := storage.Identifier{Hash: HashIdentifier(raw), Kind: storage.IdentifierTrustToken, UserID: p.user.ID,
		TenantID: p.user.TenantID, CreatedAt: now, ExpiresAt: now.Add(time.Duration(ttl) * time.Second),
		Data: storage.IdentifierData{ApplicationID: p.app.ID, TrustChallenge: p.login.TrustChallenge}}
	if err := s.cfg.Store.ChangeUser(ctx, storage.UserChange{UserID: p.user.ID, Now: now, Issue: []storage.Identifier{rec}}); err != nil {
		return "", fmt.Errorf("auth: store trustToken: %w", err)
	}
	return raw, nil
}

// validID reports whether v is a UUID in FusionAuth's canonical form, the
// form of every id in the API (manage.ValidID, which auth cannot import).
func validID(v string) bool {
	if len(v) != 36 {
		return false
	}
	_, err := uuid.Parse(v)
	return err == nil
}
