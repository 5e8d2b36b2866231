package secret

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MinKeyBytes is the shortest key accepted: 256 bits, the HMAC-SHA256 key
// size that needs no stretching.
const MinKeyBytes = 32

// Secret is one or more keys, the current one first. The zero value has no
// key and derives nothing.
type Secret struct {
	keys [][]byte
}

// Generate returns a secret with one new random 32-byte key.
func Generate() Secret {
	k := make([]byte, MinKeyBytes)
	_, _ = rand.Read(k) // never fails on supported platforms (Go 1.24+)
	return Secret{keys: [][]byte{k}}
}

// Parse reads keys written as standard or URL-safe base64 (padding
// optional), separated by commas or newlines; blank entries and lines
// starting with # are ignored. Each key must decode to at least MinKeyBytes.
// Errors never quote a key.
func Parse(text string) (Secret, error) {
	var s Secret
	var fields []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "#") {
			fields = append(fields, strings.Split(line, ",")...)
		}
	}
	for i, f := range fields {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, err := decode(f)
		if err != nil {
			return Secret{}, fmt.Errorf("secret: key %d is not base64", i+1)
		}
		if len(k) < MinKeyBytes {
			return Secret{}, fmt.Errorf("secret: key %d has %d bytes, want at least %d (e.g. `openssl rand -base64 32`)", i+1, len(k), MinKeyBytes)
		}
		s.keys = append(s.keys, k)
	}
	if len(s.keys) == 0 {
		return Secret{}, errors.New("secret: no key given")
	}
	return s, nil
}

func decode(f string) ([]byte, error) {
	f = strings.TrimRight(f, "=")
	if strings.ContainsAny(f, "-_") {
		return base64.RawURLEncoding.DecodeString(f)
	}
	return base64.RawStdEncoding.DecodeString(f)
}

// Encode writes s in the form Parse reads, one key a line.
func (s Secret) Encode() string {
	var b strings.Builder
	for _, k := range s.keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k))
		b.WriteByte('\n')
	}
	return b.String()
}

// Empty reports whether s has no key.
func (s Secret) Empty() bool { return len(s.keys) == 0 }

// Derive returns one subkey per key for purpose, the current one first:
// HKDF-SHA256 with no salt and purpose as info (RFC 5869 §3.3: the input is
// already uniformly random).
func (s Secret) Derive(purpose string) [][]byte {
	out := make([][]byte, 0, len(s.keys))
	for _, k := range s.keys {
		d, err := hkdf.Key(sha256.New, k, nil, purpose, 32)
		if err != nil {
			panic("secret: hkdf: " + err.Error()) // only for lengths > 255·32
		}
		out = append(out, d)
	}
	return out
}

// Load reads a secret file (Parse's format).
func Load(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, fmt.Errorf("secret: read %s: %w", path, err)
	}
	s, err := Parse(string(b))
	if err != nil {
		return Secret{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// LoadOrCreate reads the secret file at path, or creates it with one new key
// when it does not exist (created reports that). The key is written to a
// temporary file (mode 0600) and synced, then linked to path with os.Link,
// which fails when the name exists: a crash never leaves a half-written
// secret, and of two processes creating it at once the second reads the
// first one's file instead of replacing it.
func LoadOrCreate(path string) (s Secret, created bool, err error) {
	s, err = Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, false, err
	}
	s = Generate()
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".latchkey-secret-*")
	if err != nil {
		return Secret{}, false, fmt.Errorf("secret: create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString("# latchkey server secret: keep it out of database backups, never share it.\n" + s.Encode())
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o600)
	}
	if werr == nil {
		werr = os.Link(tmp.Name(), path)
	}
	if errors.Is(werr, fs.ErrExist) {
		s, err = Load(path) // another process made it first
		return s, false, err
	}
	if werr != nil {
		return Secret{}, false, fmt.Errorf("secret: create %s: %w", path, werr)
	}
	return s, true, syncDir(dir)
}

// syncDir makes the new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // not fatal: the file's content is synced
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}
