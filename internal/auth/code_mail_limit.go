package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Emailed two-factor codes are limited per user, enable, disable and login
// codes together: FusionAuth's rateLimitConfiguration.sendTwoFactor
// defaults (5 per 60 s), always on. Without it a signed-up user could
// have latchkey mail codes to any address without end (the enable form
// takes an address), and anyone holding a password could flood its
// owner's inbox. Counted in the database (CountEvent), so every node
// shares the limit.
const (
	codeMailLimit  = 5
	codeMailWindow = time.Minute
)

// ErrCodeMailLimited: too many codes were mailed for this user just now
// (429).
var ErrCodeMailLimited = errors.New("auth: too many two-factor codes mailed")

// countCodeMail counts one code to mail for userID, or refuses it.
func (s *Service) countCodeMail(ctx context.Context, userID string) error {
	n, err := s.cfg.Store.CountEvent(ctx, "two-factor-mail:"+userID, s.cfg.Now(), codeMailWindow)
	if err != nil {
		return fmt.Errorf("auth: count mailed codes: %w", err)
	}
	if n > codeMailLimit {
		return ErrCodeMailLimited
	}
	return nil
}
