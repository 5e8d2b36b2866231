package demo_test

import (
	"log/slog"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
)

// BenchmarkDemoReady is issue 13's `latchkey demo` target (ready in < 1 s):
// each iteration starts the demo on a fresh data folder (identity server
// with its Kickstart, the Store, the Forums, the mail catcher) until the
// Store answers, then stops it. demotest.Start polls every 50 ms, so a
// figure is that much coarse. Figures belong in docs/performance.md only
// from a quiet machine; CI runs it as a smoke run (-benchtime 1x).
func BenchmarkDemoReady(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		st := demotest.Start(b, demo.Options{DataDir: dir, Logger: quiet}, nil)
		b.StopTimer()
		if err := st.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
