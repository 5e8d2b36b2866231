package app_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
)

// BenchmarkStartFreshDatabase is issue 13's start-up target (< 200 ms on a
// fresh database): each iteration opens latchkey on a new SQLite file with
// the example Kickstart (migrations, server secret, signing keys, the
// Kickstart's dry run and real run, whose user is hashed at FusionAuth's
// default PBKDF2 cost), until it is ready to serve, and closes it. Figures
// belong in docs/performance.md only from a quiet machine; CI runs it as a
// smoke run (-benchtime 1x).
func BenchmarkStartFreshDatabase(b *testing.B) {
	b.Setenv("LATCHKEY_API_KEY", "bench-0123456789abcdef0123456789abcdef0123456789")
	b.Setenv("LATCHKEY_USER_PASSWORD", "a bench password that is long enough")
	ks, err := filepath.Abs("../../examples/kickstart.json")
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	for b.Loop() {
		b.StopTimer()
		cfg := config.Default()
		cfg.Addr, cfg.DatabaseURL, cfg.Kickstart = "127.0.0.1:0", filepath.Join(b.TempDir(), "latchkey.db"), ks
		b.StartTimer()
		a, err := app.Open(context.Background(), cfg, app.Options{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
