package storage

import (
	"context"
	"time"
)

// AuthorizationCode is one code issued by /oauth2/authorize (RFC 6749
// §4.1.2). Only the SHA-256 of the code is stored. The row stays after it is
// redeemed so that a second use is recognised as a replay and can revoke the
// grant the first use created (RFC 6749 §4.1.2, RFC 9700 §4.5.3.1).
type AuthorizationCode struct {
	Hash        []byte
	ClientID    string // the application id
	TenantID    string
	UserID      string
	RedirectURI string // exactly as sent to /oauth2/authorize
	Scopes      []string
	Nonce       string
	// CodeChallenge and CodeChallengeMethod (S256 or plain) as sent (RFC 7636).
	CodeChallenge       string
	CodeChallengeMethod string
	// SessionID is the login session (the id token's sid) the code was
	// issued in; AuthTime and AuthType describe that authentication.
	SessionID string
	AuthTime  time.Time
	AuthType  string
	// GrantID is the id the exchange gives the refresh-token record it
	// creates, fixed when the code is issued so a replay knows what to revoke.
	GrantID    string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RedeemedAt time.Time // zero while unused
}

// LoginSession is a session at the identity server itself: one per login
// on the hosted page. Its id is the id token's sid. Hash is the SHA-256 of
// the single sign-on cookie's value when the login set one (the
// application opted in to SSO), nil otherwise.
type LoginSession struct {
	ID       string
	Hash     []byte
	TenantID string
	UserID   string
	AuthTime time.Time
	AuthType string
	// SecondFactor: the login completed a second factor (the hosted
	// two-factor step, or a passkey worth two factors), so a single sign-on
	// hit need not ask for one again.
	SecondFactor bool
	CreatedAt    time.Time
	ExpiresAt    time.Time
	// RevokedAt is when the session ended (zero: live): a logout, or the
	// revocation of every refresh token of its user (EndUserLoginSessions).
	RevokedAt time.Time
}

// OAuthStore stores authorization codes and login sessions.
type OAuthStore interface {
	// CreateAuthorizationCode stores c; ErrConflict on a duplicate hash.
	CreateAuthorizationCode(ctx context.Context, c AuthorizationCode) error
	// GetAuthorizationCode finds a code by hash, redeemed or not.
	GetAuthorizationCode(ctx context.Context, hash []byte) (AuthorizationCode, error)
	// RedeemAuthorizationCode marks the code used at at and, when grant is
	// not nil, creates grant (as CreateRefreshToken) tied to the code's
	// session, in one transaction. Of N concurrent calls one succeeds; the
	// others get ErrConflict and nothing is created. ErrNotFound for an
	// unknown hash. ErrSessionEnded, nothing written (the code stays
	// unused), when the login session the code was issued under has ended:
	// the check and the redemption are one transaction that holds the
	// session against EndLoginSession, so either the redemption sees the
	// session ended or the session's end sees (and revokes) the grant. A
	// code of no session, or of one no longer stored, is not held back.
	RedeemAuthorizationCode(ctx context.Context, hash []byte, at time.Time, grant *RefreshToken) error
	// CreateLoginSession stores s; ErrConflict on a duplicate id or hash.
	CreateLoginSession(ctx context.Context, s LoginSession) error
	// GetLoginSession finds a session by id; FindLoginSessionByHash by the
	// SHA-256 of its cookie. Revoked and expired sessions are returned too.
	GetLoginSession(ctx context.Context, id string) (LoginSession, error)
	FindLoginSessionByHash(ctx context.Context, hash []byte) (LoginSession, error)
	// GrantSession is the id of the login session under which the refresh
	// token tokenID was issued (a code exchange's grant); ErrNotFound for a
	// token issued outside one (password grant, /api/login).
	GrantSession(ctx context.Context, tokenID string) (string, error)
	// EndLoginSession revokes the session and every live refresh token
	// issued under it (RedeemAuthorizationCode's grants), in one
	// transaction, and returns the tokens it revoked. notify, when not nil,
	// is given those tokens and the outbox messages it returns are enqueued
	// in the same transaction (back-channel logout notices exist exactly
	// when the session ended); an error from notify rolls everything back.
	// Ending a session that is already ended
	// revokes what is still live under it; ErrNotFound for an unknown id.
	EndLoginSession(ctx context.Context, id string, at time.Time, reason string, notify func([]RefreshToken) ([]OutboxMessage, error)) ([]RefreshToken, error)
	// PurgeAuthorizationCodes deletes at most limit codes that expired
	// before before (used or not); the janitor calls it (internal/janitor).
	PurgeAuthorizationCodes(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgeLoginSessions deletes at most limit sessions that expired before
	// before and under which no refresh token is left (session_grants go
	// with their tokens), so ending a session by its sid (logout with an
	// id_token_hint) still revokes every grant it issued.
	PurgeLoginSessions(ctx context.Context, before time.Time, limit int) (int, error)
}
