package auth

import (
	"testing"
	"time"
)

func TestLogout(t *testing.T) {
	tests := []struct {
		name        string
		present     func(first, rotated Tokens) string
		global      bool
		firstDead   bool
		secondDead  bool
		wantRevokes bool
	}{
		{"current value", func(f, r Tokens) string { return r.RefreshToken }, false, true, false, true},
		{"superseded value ends its session", func(f, r Tokens) string { return f.RefreshToken }, false, true, false, true},
		{"global ends every session", func(f, r Tokens) string { return r.RefreshToken }, true, true, true, true},
		{"unknown token is not an error", func(f, r Tokens) string { return unknownValue() }, true, false, false, false},
		{"no token", func(f, r Tokens) string { return "" }, true, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oneTimeUse(30))
			first := e.login()
			second := e.login() // another device
			e.clock.Advance(time.Minute)
			rotated, err := e.refresh(first.RefreshToken)
			must(t, err)
			e.clock.Advance(time.Minute)
			must(t, e.svc.Logout(e.ctx, LogoutRequest{RefreshToken: tc.present(first, rotated), Global: tc.global}))
			for _, s := range []struct {
				value string
				id    string
				dead  bool
			}{{rotated.RefreshToken, first.RefreshTokenID, tc.firstDead}, {second.RefreshToken, second.RefreshTokenID, tc.secondDead}} {
				rec := e.record(s.id)
				if (!rec.RevokedAt.IsZero()) != s.dead {
					t.Fatalf("session %s revoked = %v, want %v", s.id, !rec.RevokedAt.IsZero(), s.dead)
				}
				if s.dead && rec.RevokeReason != "logout" {
					t.Fatalf("revoke reason %q, want logout", rec.RevokeReason)
				}
				if _, err := e.refresh(s.value); (err != nil) != s.dead {
					t.Fatalf("refresh after logout: %v (session dead = %v)", err, s.dead)
				}
			}
		})
	}
}

func TestFindRefreshToken(t *testing.T) {
	e := newEnv(t)
	tok := e.login()
	rt, err := e.svc.FindRefreshToken(e.ctx, tok.RefreshToken)
	must(t, err)
	if rt.ID != tok.RefreshTokenID || rt.UserID != userID || rt.ApplicationID != appID {
		t.Fatalf("found %+v", rt)
	}
	for name, raw := range map[string]string{"unknown": unknownValue(), "unknown, earlier format": newRefreshValue(), "empty": ""} {
		if _, err := e.svc.FindRefreshToken(e.ctx, raw); err != ErrRefreshNotFound {
			t.Fatalf("%s: %v, want ErrRefreshNotFound", name, err)
		}
	}
	must(t, e.svc.Logout(e.ctx, LogoutRequest{RefreshToken: tok.RefreshToken}))
	if _, err := e.svc.FindRefreshToken(e.ctx, tok.RefreshToken); err != ErrRefreshNotFound {
		t.Fatalf("revoked: %v, want ErrRefreshNotFound", err)
	}
}

func TestValidateRejectsGarbage(t *testing.T) {
	e := newEnv(t)
	tok := e.login()
	for name, token := range map[string]string{
		"empty": "", "garbage": "not.a.jwt", "tampered": tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA",
	} {
		if _, err := e.svc.Validate(e.ctx, token); err != ErrInvalidToken {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
	e.clock.Advance(301 * time.Second)
	if _, err := e.svc.Validate(e.ctx, tok.AccessToken); err != ErrInvalidToken {
		t.Errorf("expired: %v, want ErrInvalidToken", err)
	}
}
