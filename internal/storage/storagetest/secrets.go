package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testServerSecret(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	got := make([][]byte, 10)
	errs := parallel(10, func(i int) error {
		var err error
		got[i], err = s.ServerSecret(ctx, "refresh-derivation", []byte(fmt.Sprintf("candidate-%d", i)))
		return err
	})
	if ok, others := countNil(errs); ok != 10 {
		t.Fatalf("ServerSecret failed: %v", others)
	}
	if !bytes.HasPrefix(got[0], []byte("candidate-")) {
		t.Fatalf("stored secret %q is none of the candidates", got[0])
	}
	for i := range got {
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("callers disagree: %q vs %q", got[i], got[0])
		}
	}
	later, err := s.ServerSecret(ctx, "refresh-derivation", []byte("late"))
	must(t, err)
	if !bytes.Equal(later, got[0]) {
		t.Fatalf("a later call replaced the secret: %q", later)
	}
	other, err := s.ServerSecret(ctx, "other", []byte("o"))
	must(t, err)
	if string(other) != "o" {
		t.Fatalf("secrets are not kept per name: %q", other)
	}
}
