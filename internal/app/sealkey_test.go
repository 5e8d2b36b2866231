package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestSealKeyFile: with SQLite the key is made once next to the database
// (0600) and read back the same; a configured file must exist and hold 32
// bytes; PostgreSQL without the setting and an injected store use the
// database fallback (nil).
func TestSealKeyFile(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DatabaseURL = filepath.Join(dir, "latchkey.db")
	k1, err := loadSealKey(cfg, "sqlite", true, log)
	if err != nil || len(k1) != 32 {
		t.Fatalf("first start: %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(cfg.DatabaseURL + ".secret-key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st)
	}
	k2, err := loadSealKey(cfg, "sqlite", true, log)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the second start read another key")
	}
	for name, tc := range map[string]struct {
		content string
		wantErr bool
	}{
		"hex":       {"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", false},
		"too short": {"c2hvcnQ=", true},
		"garbage":   {"not a key", true},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.SecretKeyFile = p
		if _, err := loadSealKey(c, "postgres", true, log); (err != nil) != tc.wantErr {
			t.Errorf("%s: error %v, want error %v", name, err, tc.wantErr)
		}
	}
	missing := cfg
	missing.SecretKeyFile = filepath.Join(dir, "absent")
	if _, err := loadSealKey(missing, "postgres", true, log); err == nil {
		t.Error("a configured key file that does not exist was accepted (a node must not invent the cluster's key)")
	}
	if k, err := loadSealKey(config.Config{DatabaseURL: "postgres://x"}, "postgres", true, log); k != nil || err != nil {
		t.Errorf("PostgreSQL without a file: %v %v, want the database fallback", k, err)
	}
	if k, err := loadSealKey(config.Config{DatabaseURL: filepath.Join(dir, "other.db")}, "sqlite", false, log); k != nil || err != nil {
		t.Errorf("injected store: %v %v, want the database fallback", k, err)
	}
}
