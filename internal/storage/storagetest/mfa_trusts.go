package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testSecondFactorResetEndsTrusts: removing a second factor (one method,
// all of them, or a recovery code's disable) and revoking every session of
// the user with EndTrusts delete the user's twoFactorTrustIds in the same
// write, and nobody else's, nor the user's other challenges. A refused
// change (unknown method, wrong recovery code) leaves them.
func testSecondFactorResetEndsTrusts(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	other := newUser("u-other", "other@example.com", "")
	must(t, s.CreateUser(ctx, other))
	must(t, s.CreateChallenge(ctx, challenge("theirs", storage.ChallengeTwoFactorTrust, other.ID, time.Hour)))
	must(t, s.CreateChallenge(ctx, challenge("login-code", storage.ChallengePasswordless, u.ID, time.Hour)))
	round := 0
	trust := func() []byte {
		round++
		v := "trust-" + string(rune('a'+round))
		must(t, s.CreateChallenge(ctx, challenge(v, storage.ChallengeTwoFactorTrust, u.ID, time.Hour)))
		return hash(v)
	}
	live := func(kind string, h []byte) bool {
		_, err := s.GetChallenge(ctx, kind, h, base)
		return err == nil
	}
	check := func(step string, h []byte, want bool) {
		t.Helper()
		if got := live(storage.ChallengeTwoFactorTrust, h); got != want {
			t.Fatalf("%s: the user's trust live = %v, want %v", step, got, want)
		}
		if !live(storage.ChallengeTwoFactorTrust, hash("theirs")) || !live(storage.ChallengePasswordless, hash("login-code")) {
			t.Fatalf("%s: another user's trust or the user's other challenge ended", step)
		}
	}

	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1")}))
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "BBBB"), nil))
	h := trust()
	wantErr(t, s.RemoveTwoFactorMethod(ctx, u.ID, "ZZZZ"), storage.ErrNotFound)
	check("unknown method", h, true)
	must(t, s.RemoveTwoFactorMethod(ctx, u.ID, "AAAA")) // not the last one
	check("one method removed", h, false)

	h = trust()
	must(t, s.RemoveTwoFactorMethods(ctx, u.ID))
	check("every method removed", h, false)

	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "CCCC"), [][]byte{hash("r2")}))
	h = trust()
	wantErr(t, s.DisableTwoFactor(ctx, u.ID, hash("wrong")), storage.ErrNotFound)
	check("refused disable", h, true)
	must(t, s.DisableTwoFactor(ctx, u.ID, hash("r2")))
	check("disabled with a recovery code", h, false)

	h = trust()
	_, err := s.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: storage.RefreshTokenFilter{UserID: u.ID}, At: base, Reason: "logout"})
	must(t, err)
	check("sessions revoked without EndTrusts", h, true)
	_, err = s.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: storage.RefreshTokenFilter{UserID: u.ID}, At: base, Reason: "logout", EndTrusts: true})
	must(t, err)
	check("every session revoked", h, false)
}
