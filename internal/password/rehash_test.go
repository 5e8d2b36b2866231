package password

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func TestNeedsRehash(t *testing.T) {
	pb, _ := Hash(context.Background(), "pw", PBKDF2SHA256, 0)
	bc, _ := Hash(context.Background(), "pw", Bcrypt, 4)
	ar, _ := Hash(context.Background(), "pw", Argon2id, 0)
	weakArgon := storage.PasswordHash{Scheme: Argon2id, Factor: 2,
		Hash: "$argon2id$v=19$m=4096,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"}
	tests := []struct {
		name   string
		h      storage.PasswordHash
		scheme string
		factor int
		want   bool
	}{
		{"same scheme default factor", pb, "", 0, false},
		{"same scheme explicit default", pb, PBKDF2SHA256, 24000, false},
		{"factor raised", pb, PBKDF2SHA256, 600000, true},
		{"scheme changed", pb, Argon2id, 0, true},
		{"bcrypt same cost", bc, Bcrypt, 4, false},
		{"bcrypt cost raised", bc, Bcrypt, 12, true},
		{"argon2 current", ar, Argon2id, 0, false},
		{"argon2 t raised", ar, Argon2id, 3, true},
		{"argon2 weaker memory than OWASP", weakArgon, Argon2id, 2, true},
		{"tenant names unknown scheme", pb, "salted-md5", 0, false},
		{"imported legacy scheme", storage.PasswordHash{Scheme: "salted-md5"}, PBKDF2SHA256, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRehash(tt.h, tt.scheme, tt.factor); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}
