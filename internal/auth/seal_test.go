package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSealSecret: a sealed secret opens for its user and method with the
// key that sealed it, and for nothing else: another user, another method,
// a flipped bit, a cut value, another key.
func TestSealSecret(t *testing.T) {
	e := newEnv(t)
	e.svc.sealers = newSealers([][]byte{bytesOf(32, 7)})
	sealed := e.svc.SealSecret(userID, "AAAA", "8MJJfCY4ERBtotvenSc3")
	if strings.Contains(string(sealed), "8MJJfCY4") {
		t.Fatal("the sealed form contains the secret")
	}
	got, current, err := e.svc.unsealSecret(userID, "AAAA", sealed)
	if err != nil || got != "8MJJfCY4ERBtotvenSc3" || !current {
		t.Fatalf("unseal = %q, current %v, %v", got, current, err)
	}
	for name, try := range map[string]func() error{
		"another user":   func() error { _, _, err := e.svc.unsealSecret("someone-else", "AAAA", sealed); return err },
		"another method": func() error { _, _, err := e.svc.unsealSecret(userID, "BBBB", sealed); return err },
		"tampered": func() error {
			bad := append([]byte(nil), sealed...)
			bad[len(bad)-1] ^= 1
			_, _, err := e.svc.unsealSecret(userID, "AAAA", bad)
			return err
		},
		"truncated": func() error { _, _, err := e.svc.unsealSecret(userID, "AAAA", sealed[:10]); return err },
		"another key": func() error {
			other := &Service{sealers: newSealers([][]byte{bytesOf(32, 8)})}
			_, _, err := other.unsealSecret(userID, "AAAA", sealed)
			return err
		},
	} {
		if err := try(); !errors.Is(err, errUnseal) {
			t.Errorf("%s: error %v, want errUnseal", name, err)
		}
	}
}

// rekey gives the env's service another seal key ring, as a restart with a
// changed server secret does.
func (e *env) rekey(keys ...[]byte) { e.svc.sealers = newSealers(keys) }

// twoFactorLoginAt logs alice in with her TOTP code of the clock's step.
func (e *env) twoFactorLoginAt() error {
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: e.code()})
	return err
}

// TestSealKeyRotation: after a server-secret key change (the new key first,
// the old one second) an enrolled user keeps logging in with her
// authenticator; the janitor's re-seal moves her secret to the new key, so
// the old key can then be dropped and she still logs in. Without the
// re-seal, dropping the old key would lose her authenticator (the last
// check), which is what the procedure in docs/deploy.md prevents.
func TestSealKeyRotation(t *testing.T) {
	e := newEnv(t)
	oldKey, newKey := bytesOf(32, 1), bytesOf(32, 2)
	e.rekey(oldKey)
	e.enrolTOTP()
	before := e.storedSecret()

	e.rekey(newKey, oldKey)
	must(t, e.twoFactorLoginAt())
	n, err := e.svc.ResealTwoFactorSecrets(e.ctx, 10)
	must(t, err)
	after := e.storedSecret()
	if n != 1 || string(after) == string(before) {
		t.Fatalf("re-sealed %d, stored value changed: %v", n, string(after) != string(before))
	}
	if n, err := e.svc.ResealTwoFactorSecrets(e.ctx, 10); err != nil || n != 0 {
		t.Fatalf("a second pass re-sealed %d (%v), want 0", n, err)
	}

	e.rekey(newKey)
	e.clock.Advance(30 * time.Second) // a new step: the last code is spent
	must(t, e.twoFactorLoginAt())

	// Dropping the key before the re-seal: the secret no longer opens; the
	// code is refused like a wrong one (421) and a recovery code still
	// works.
	f := newEnv(t)
	f.rekey(oldKey)
	codes := f.enrolTOTP()
	f.rekey(newKey)
	wantErr(t, f.twoFactorLoginAt(), ErrInvalidTwoFactorCode)
	if _, err := f.svc.TwoFactorLogin(f.ctx, TwoFactorLoginRequest{TwoFactorID: f.pendingID(), Code: codes[0]}); err != nil {
		t.Fatalf("recovery code after the key was lost: %v", err)
	}
}

// TestResealLeavesChangedSecrets: a secret that changed between the list
// and the swap (another node re-sealed it, the user re-enrolled) is not
// overwritten; one that does not open is left as it is.
func TestResealLeavesChangedSecrets(t *testing.T) {
	e := newEnv(t)
	oldKey, newKey := bytesOf(32, 1), bytesOf(32, 2)
	e.rekey(oldKey)
	e.enrolTOTP()
	stale := e.storedSecret()
	e.rekey(newKey, oldKey)
	fresh := e.svc.SealSecret(userID, "AAAA", totpSecret)
	must(t, e.store.ReplaceTwoFactorSecret(e.ctx, userID, "AAAA", stale, fresh))
	wantErr(t, e.store.ReplaceTwoFactorSecret(e.ctx, userID, "AAAA", stale, []byte("late writer")), storage.ErrConflict)
	if string(e.storedSecret()) != string(fresh) {
		t.Fatal("a stale compare-and-swap overwrote the newer secret")
	}

	// A value with the old key's id that does not open (altered in the
	// database) is skipped, not counted, not replaced.
	bad := append([]byte(nil), stale...)
	bad[len(bad)-1] ^= 1
	must(t, e.store.ReplaceTwoFactorSecret(e.ctx, userID, "AAAA", fresh, bad))
	n, err := e.svc.ResealTwoFactorSecrets(e.ctx, 10)
	if err != nil || n != 0 || string(e.storedSecret()) != string(bad) {
		t.Fatalf("re-sealed %d (%v) of an altered value", n, err)
	}
}

// storedSecret is alice's sealed secret as the database holds it.
func (e *env) storedSecret() []byte {
	e.t.Helper()
	ms, err := e.store.ListTwoFactorMethods(e.ctx, userID)
	must(e.t, err)
	if len(ms) == 0 {
		e.t.Fatal("no method")
	}
	return ms[0].Secret
}
