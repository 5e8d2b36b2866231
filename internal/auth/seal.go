package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sealing of TOTP secrets at rest (docs/decisions.md, "TOTP secrets are
// sealed with a key kept outside the database"). A two-factor secret must
// be readable again to check a code, so it cannot be hashed like a
// password; it is encrypted with AES-256-GCM under Config.SealKey, which
// the app loads from a file outside the database. The sealed form is
//
//	0x01 ‖ key id (4 bytes: SHA-256(key)[:4]) ‖ nonce (12) ‖ ciphertext+tag
//
// and the additional data binds it to its user and method, so a row copied
// to another user in the database does not open.

const sealVersion = 1

// legacySealKeyName names the ServerSecret row used as the key when no
// SealKey is configured (PostgreSQL without LATCHKEY_SECRET_KEY_FILE): the
// secrets are then only as safe as the database.
const legacySealKeyName = "two-factor-seal"

// errUnseal: a sealed secret did not open (wrong key, tampered row).
var errUnseal = errors.New("auth: sealed two-factor secret does not open with the configured key")

// sealKey returns the AEAD and key id in use.
func (s *Service) sealKey(ctx context.Context) (cipher.AEAD, []byte, error) {
	key := s.cfg.SealKey
	if len(key) == 0 {
		k, err := s.cfg.Store.ServerSecret(ctx, legacySealKeyName, randomBytes(32))
		if err != nil {
			return nil, nil, fmt.Errorf("auth: load seal key: %w", err)
		}
		key = k
	}
	if len(key) != 32 {
		return nil, nil, fmt.Errorf("auth: seal key must be 32 bytes, have %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	id := sha256.Sum256(key)
	return aead, id[:4], nil
}

func sealAAD(userID, methodID string) []byte {
	return []byte("latchkey two-factor " + userID + "/" + methodID)
}

// SealSecret encrypts a method's TOTP secret for storage.
func (s *Service) SealSecret(ctx context.Context, userID, methodID, secret string) ([]byte, error) {
	aead, id, err := s.sealKey(ctx)
	if err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, id...)
	nonce := randomBytes(aead.NonceSize())
	out = append(out, nonce...)
	return aead.Seal(out, nonce, []byte(secret), sealAAD(userID, methodID)), nil
}

// unsealSecret opens what SealSecret made.
func (s *Service) unsealSecret(ctx context.Context, userID, methodID string, sealed []byte) (string, error) {
	aead, id, err := s.sealKey(ctx)
	if err != nil {
		return "", err
	}
	head := 1 + len(id) + aead.NonceSize()
	if len(sealed) < head+aead.Overhead() || sealed[0] != sealVersion || string(sealed[1:1+len(id)]) != string(id) {
		return "", errUnseal
	}
	plain, err := aead.Open(nil, sealed[1+len(id):head], sealed[head:], sealAAD(userID, methodID))
	if err != nil {
		return "", errUnseal
	}
	return string(plain), nil
}
