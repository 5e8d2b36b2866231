// Package mfa holds the use cases that make an account stronger than a
// password (issue 10): enrolling and removing two-factor methods (TOTP
// authenticator apps, email) and their recovery codes, passkeys (WebAuthn
// registration, login and re-authentication through
// github.com/go-webauthn/webauthn) and passwordless login codes.
//
// It issues no token itself: every login it completes goes through
// auth.Service (LoginAuthenticated, TwoFactorLogin), the one issuance path
// /api/login uses, so the JWT, the refresh cookie, the lockout and the
// events are the same whatever proved who the user is. It is a package of
// its own, not part of internal/auth, because go-webauthn depends on
// net/http (its request helpers, which are not used here) and auth must
// stay free of it (internal/archtest).
//
// It depends on storage (its store is Store), auth, manage (the error
// values the HTTP layer maps) and mail; never on internal/server or a
// storage backend.
package mfa
