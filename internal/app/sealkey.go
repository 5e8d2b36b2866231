package app

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"crypto/rand"

	"github.com/latchkeyhq/latchkey/internal/config"
)

// sealKeyLen is an AES-256 key.
const sealKeyLen = 32

// loadSealKey returns the key that seals TOTP secrets (auth.Config.SealKey),
// kept outside the database so a copy of the database alone does not give
// away anyone's second factor (docs/decisions.md):
//
//   - LATCHKEY_SECRET_KEY_FILE set: that file, which must exist (every node
//     of a cluster must read the same key, so none may invent one);
//   - SQLite: <database file>.secret-key, created (0600) on first start;
//   - PostgreSQL without the setting: nil, so auth falls back to a key kept
//     in the database, and a warning says so;
//   - a store the caller injected (tests, embedding): nil as well, since
//     there is no database file of ours to put the key next to.
func loadSealKey(cfg config.Config, dialect string, ownsStore bool, log *slog.Logger) ([]byte, error) {
	if cfg.SecretKeyFile != "" {
		return readSealKey(cfg.SecretKeyFile)
	}
	if !ownsStore {
		return nil, nil
	}
	if dialect != "sqlite" {
		log.Warn("two-factor secrets are sealed with a key kept in the database; set LATCHKEY_SECRET_KEY_FILE to keep it outside (docs/deploy.md)")
		return nil, nil
	}
	path := sqlitePath(cfg.DatabaseURL) + ".secret-key"
	key, err := readSealKey(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key = make([]byte, sealKeyLen)
	_, _ = rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return readSealKey(path) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: create %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("secret key: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret key: write %s: %w", path, err)
	}
	return key, nil
}

// readSealKey reads a 32-byte key written as base64 or hex.
func readSealKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == sealKeyLen {
		return k, nil
	}
	if k, err := hex.DecodeString(v); err == nil && len(k) == sealKeyLen {
		return k, nil
	}
	return nil, fmt.Errorf("secret key: %s must hold %d bytes as base64 or hex", path, sealKeyLen)
}

// sqlitePath is the file of a SQLite database URL (a path, sqlite:path or
// file:path?query).
func sqlitePath(url string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}
