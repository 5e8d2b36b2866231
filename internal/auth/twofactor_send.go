package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginCode is an emailed code for a pending login, for the caller to send.
type LoginCode struct {
	User    storage.User
	Tenant  storage.Tenant
	App     storage.Application
	Address string
	Code    string
}

// ErrNotMessageMethod: the named method cannot be sent a code (400
// [cannotSend]method), or the user has no such method ([invalid]methodId).
var (
	ErrNotMessageMethod = errors.New("auth: the method is not sent codes")
	ErrUnknownMethod    = errors.New("auth: no such two-factor method")
)

// LoginCodeFor draws a code for the pending login twoFactorID and its
// email method (methodID; empty picks the user's only email method),
// replacing any earlier code of that login (accounts spec §10.6). It lives
// FusionAuth's twoFactorOneTimeCodeIdTimeToLiveInSeconds (60 s), and never
// beyond its twoFactorId.
func (s *Service) LoginCodeFor(ctx context.Context, twoFactorID, methodID string) (LoginCode, error) {
	now := s.cfg.Now()
	p, err := s.loadPending(ctx, twoFactorID, now)
	if err != nil {
		return LoginCode{}, err
	}
	methods, err := s.cfg.Store.ListTwoFactorMethods(ctx, p.user.ID)
	if err != nil {
		return LoginCode{}, fmt.Errorf("auth: list two-factor methods: %w", err)
	}
	var m *storage.TwoFactorMethod
	for i := range methods {
		if methods[i].ID == methodID || (methodID == "" && methods[i].Method == MethodEmail) {
			if m != nil && methodID == "" {
				return LoginCode{}, ErrUnknownMethod // several email methods: name one
			}
			m = &methods[i]
		}
	}
	switch {
	case m == nil:
		return LoginCode{}, ErrUnknownMethod
	case m.Method != MethodEmail:
		return LoginCode{}, ErrNotMessageMethod
	}
	code := numericCode(6)
	p.login.EmailMethodID = m.ID
	p.login.EmailCodeHash = CodeHash("login:"+string(p.hash), code)
	p.login.EmailCodeExpires = now.Add(defaultMethodCodeTTL).UnixMilli()
	data, err := json.Marshal(p.login)
	if err != nil {
		return LoginCode{}, err
	}
	if err := s.cfg.Store.UpdateChallengeData(ctx, storage.ChallengeTwoFactorLogin, p.hash, data, now); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return LoginCode{}, ErrTwoFactorNotFound
		}
		return LoginCode{}, err
	}
	return LoginCode{User: p.user, Tenant: p.tenant, App: p.app, Address: m.Email, Code: code}, nil
}
