package events

import "testing"

// TestSucceeded is FusionAuth's TransactionType.success(n, ok)
// (fusionauth-java-client TransactionType.java) for the cases where the
// types differ.
func TestSucceeded(t *testing.T) {
	for _, c := range []struct {
		tx    string
		n, ok int
		want  bool
	}{
		{TxNone, 3, 0, true},
		{TxAny, 3, 0, false}, {TxAny, 3, 1, true},
		{TxSimpleMajority, 2, 1, true}, {TxSimpleMajority, 3, 1, false}, {TxSimpleMajority, 3, 2, true},
		{TxSuperMajority, 3, 1, false}, {TxSuperMajority, 3, 2, true}, {TxSuperMajority, 4, 2, false}, {TxSuperMajority, 4, 3, true},
		{TxAbsoluteMajority, 3, 2, false}, {TxAbsoluteMajority, 3, 3, true},
		{TxAbsoluteMajority, 0, 0, true}, // no webhook: trivially succeeds
	} {
		if got := Succeeded(c.tx, c.n, c.ok); got != c.want {
			t.Errorf("Succeeded(%s, %d, %d) = %v, want %v", c.tx, c.n, c.ok, got, c.want)
		}
	}
}

// TestEventTypes: every type latchkey sends is known, only FusionAuth's
// transactional ones can veto, and an unknown name is refused.
func TestEventTypes(t *testing.T) {
	for _, typ := range Sent {
		if !Known(typ) {
			t.Errorf("%s is sent but not known", typ)
		}
	}
	for _, typ := range []string{UserPasswordUpdate, UserLoginFailed, JWTRefreshTokenRevoke, JWTRefreshTokenReuse, UserBulkCreate} {
		if CanVeto(typ) {
			t.Errorf("%s must not veto its change", typ)
		}
	}
	if Known("user.explode") || !Known("group.member.add") {
		t.Error("Known")
	}
}
