package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
)

// Sealing of TOTP secrets at rest (docs/decisions.md, "TOTP secrets are
// sealed with a key derived from the server secret"). A two-factor secret
// must be readable again to check a code, so it cannot be hashed like a
// password; it is encrypted with AES-256-GCM under Config.SealKeys, which
// the app derives from the server secret (internal/secret), kept out of
// the database. The sealed form is
//
//	0x01 ‖ key id (4 bytes: SHA-256(key)[:4]) ‖ nonce (12) ‖ ciphertext+tag
//
// so a value says which key sealed it and an older key of the ring still
// opens it after a key change (ResealTwoFactorSecrets then moves it to the
// current key). The additional data binds it to its user and method, so a
// row copied to another user in the database does not open.

const sealVersion = 1

// errUnseal: a sealed secret did not open (no key of the ring sealed it, or
// the row was tampered with or moved).
var errUnseal = errors.New("auth: sealed two-factor secret does not open with the server secret's keys")

// sealer is one key of the ring.
type sealer struct {
	aead cipher.AEAD
	id   []byte // sealVersion ‖ SHA-256(key)[:4]: every value it seals starts so
}

// newSealers builds the ring from Config.SealKeys, the current key first.
// Keys must be 32 bytes (AES-256); New panics otherwise, a wiring bug.
func newSealers(keys [][]byte) []sealer {
	out := make([]sealer, 0, len(keys))
	for _, k := range keys {
		if len(k) != 32 {
			panic("auth: a seal key must be 32 bytes")
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			panic("auth: " + err.Error())
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			panic("auth: " + err.Error())
		}
		h := sha256.Sum256(k)
		out = append(out, sealer{aead: aead, id: append([]byte{sealVersion}, h[:4]...)})
	}
	return out
}

func sealAAD(userID, methodID string) []byte {
	return []byte("latchkey two-factor " + userID + "/" + methodID)
}

// SealSecret encrypts a method's TOTP secret for storage with the current
// key.
func (s *Service) SealSecret(userID, methodID, secret string) []byte {
	k := s.sealers[0]
	nonce := randomBytes(k.aead.NonceSize())
	out := append(append([]byte(nil), k.id...), nonce...)
	return k.aead.Seal(out, nonce, []byte(secret), sealAAD(userID, methodID))
}

// unsealSecret opens what SealSecret made, with whichever key of the ring
// sealed it; current says that was the current key.
func (s *Service) unsealSecret(userID, methodID string, sealed []byte) (secret string, current bool, err error) {
	for i, k := range s.sealers {
		head := len(k.id) + k.aead.NonceSize()
		if len(sealed) < head+k.aead.Overhead() || string(sealed[:len(k.id)]) != string(k.id) {
			continue
		}
		plain, err := k.aead.Open(nil, sealed[len(k.id):head], sealed[head:], sealAAD(userID, methodID))
		if err == nil {
			return string(plain), i == 0, nil
		}
	}
	return "", false, errUnseal
}
