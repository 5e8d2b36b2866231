package server

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// userJSON is FusionAuth's user object with user.twoFactor (two-factor.mdx,
// accounts spec §10.2): the methods, never a secret, and never the
// recovery codes (FusionAuth strips both). It is omitted for a user without
// methods where FusionAuth writes {} (docs/compatibility.md).
type userJSON struct {
	storage.User
	TwoFactor *userTwoFactorJSON `json:"twoFactor,omitempty"`
}

type userTwoFactorJSON struct {
	Methods []methodJSON `json:"methods"`
}

// withTwoFactor reads u's methods for a user response of the user API.
// Login responses carry the user without them (the 242 lists the methods
// when they matter), so the hot path pays no extra read.
func (s *Server) withTwoFactor(ctx context.Context, u storage.User) (userJSON, error) {
	ms, err := s.MFA.Methods(ctx, u.ID)
	if err != nil || len(ms) == 0 {
		return userJSON{User: u}, err
	}
	return userJSON{User: u, TwoFactor: &userTwoFactorJSON{Methods: methodsJSON(ms)}}, nil
}
