package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Vectors computed independently with Python's hashlib:
//
//	salt = base64.b64decode("c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=")
//	base64.b64encode(hashlib.pbkdf2_hmac("sha256", pw, salt, factor, keylen))
//
// They are what a FusionAuth export holds for these users, so an imported
// user logs in unchanged.
func TestFusionAuthPBKDF2Vectors(t *testing.T) {
	const salt = "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ="
	tests := []struct {
		name, scheme, plain string
		factor              int
		hash                string
	}{
		{"sha256 default factor", PBKDF2SHA256, "password", 24000, "P4so51Jv+r/T+vCp3cClaXU0KEWsgPxwxS/ifOLi1wQ="},
		{"sha256 unicode", PBKDF2SHA256, "pässwörd🔑", 24000, "lhBuf43IliZzGdSyfM5s6xZlzhrOGqGRfrdmyPTa0VE="},
		{"sha256 factor 1", PBKDF2SHA256, "password", 1, "D/nLzY4cy4PMkDRMIaUy5Ho7WcCNA7L/5tolw55L1nU="},
		{"sha256-512", PBKDF2SHA256512, "password", 24000, "P4so51Jv+r/T+vCp3cClaXU0KEWsgPxwxS/ifOLi1wQ6jfjQpgXeyoqbcAl5mGwp2itn2tmZn3Lh4aFGoon4/Q=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := storage.PasswordHash{Scheme: tt.scheme, Factor: tt.factor, Salt: salt, Hash: tt.hash}
			for _, c := range []struct {
				plain string
				want  bool
			}{{tt.plain, true}, {tt.plain + "x", false}, {strings.ToUpper(tt.plain), false}, {"", false}} {
				ok, err := Verify(context.Background(), c.plain, h)
				if err != nil || ok != c.want {
					t.Fatalf("Verify(%q) = %v, %v; want %v", c.plain, ok, err, c.want)
				}
			}
		})
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	tests := []struct {
		scheme, wantScheme string
		factor, wantFactor int
		shape              func(storage.PasswordHash) bool
	}{
		{"", PBKDF2SHA256, 0, 24000, func(h storage.PasswordHash) bool { return len(h.Salt) == 44 && len(h.Hash) == 44 }},
		{PBKDF2SHA256512, PBKDF2SHA256512, 1000, 1000, func(h storage.PasswordHash) bool { return len(h.Hash) == 88 }},
		{Bcrypt, Bcrypt, 0, 10, func(h storage.PasswordHash) bool { return strings.HasPrefix(h.Hash, "$2a$10$") && h.Salt == "" }},
		{Argon2id, Argon2id, 0, 2, func(h storage.PasswordHash) bool { return phc.MatchString(h.Hash) && h.Salt == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.wantScheme, func(t *testing.T) {
			h, err := Hash(context.Background(), "correct horse", tt.scheme, tt.factor)
			if err != nil {
				t.Fatal(err)
			}
			if h.Scheme != tt.wantScheme || h.Factor != tt.wantFactor || !tt.shape(h) {
				t.Fatalf("Hash = %+v", h)
			}
			if h2, _ := Hash(context.Background(), "correct horse", tt.scheme, tt.factor); h2.Hash == h.Hash {
				t.Fatal("two hashes of one password are equal: salt not random")
			}
			for plain, want := range map[string]bool{"correct horse": true, "correct hors": false, "Correct horse": false, "correct horse ": false} {
				if ok, err := Verify(context.Background(), plain, h); err != nil || ok != want {
					t.Fatalf("Verify(%q) = %v, %v; want %v", plain, ok, err, want)
				}
			}
		})
	}
}

// TestBcryptNeverTruncates: bcrypt reads 72 bytes; accepting more would make
// "password + anything" a valid login (security-bar L7, ASVS 5.0 6.2.8).
func TestBcryptNeverTruncates(t *testing.T) {
	p72 := strings.Repeat("a", 72)
	h, err := Hash(context.Background(), p72, Bcrypt, 4)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify(context.Background(), p72, h); !ok || err != nil {
		t.Fatalf("72-byte password: %v, %v", ok, err)
	}
	for _, long := range []string{p72 + "b", p72 + p72, strings.Repeat("é", 37)} {
		if ok, err := Verify(context.Background(), long, h); ok || err != nil {
			t.Fatalf("Verify(%d bytes) = %v, %v; want false, nil", len(long), ok, err)
		}
		if _, err := Hash(context.Background(), long, Bcrypt, 4); !errors.Is(err, ErrTooLong) {
			t.Fatalf("Hash(%d bytes) err = %v, want ErrTooLong", len(long), err)
		}
	}
}

// TestFusionAuthBcryptSplitForm: FusionAuth's import format keeps the 22
// salt characters and the 31 hash characters apart.
func TestFusionAuthBcryptSplitForm(t *testing.T) {
	h, err := Hash(context.Background(), "s3cret!", Bcrypt, 4)
	if err != nil {
		t.Fatal(err)
	}
	full := h.Hash // $2a$04$ + 22 salt + 31 hash
	split := storage.PasswordHash{Scheme: Bcrypt, Factor: 4, Salt: full[7:29], Hash: full[29:]}
	for plain, want := range map[string]bool{"s3cret!": true, "s3cret": false} {
		if ok, err := Verify(context.Background(), plain, split); err != nil || ok != want {
			t.Fatalf("split form Verify(%q) = %v, %v", plain, ok, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"hash unknown scheme", func() error { _, err := Hash(context.Background(), "pw", "salted-sha1", 0); return err }, ErrUnknownScheme},
		{"hash legacy scheme", func() error { _, err := Hash(context.Background(), "pw", SaltedMD5, 0); return err }, ErrLegacyScheme},
		{"verify unknown scheme", func() error { return verifyErr("pw", storage.PasswordHash{Scheme: "md5-crypt", Hash: "x"}) }, ErrUnknownScheme},
		{"hash 1 MB", func() error { _, err := Hash(context.Background(), huge, "", 0); return err }, ErrTooLong},
		{"pbkdf2 factor -1", func() error { _, err := Hash(context.Background(), "pw", PBKDF2SHA256, -1); return err }, ErrFactor},
		{"pbkdf2 factor huge", func() error { _, err := Hash(context.Background(), "pw", PBKDF2SHA256, 1e9); return err }, ErrFactor},
		{"bcrypt cost 32", func() error { _, err := Hash(context.Background(), "pw", Bcrypt, 32); return err }, ErrFactor},
		{"argon2 t=0 (negative)", func() error { _, err := Hash(context.Background(), "pw", Argon2id, -3); return err }, ErrFactor},
		{"stored pbkdf2 bad base64", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: PBKDF2SHA256, Factor: 1, Salt: "!!", Hash: "P4so51Jv+r/T+vCp3cClaXU0KEWsgPxwxS/ifOLi1wQ="})
		}, ErrMalformedHash},
		{"stored pbkdf2 short hash", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: PBKDF2SHA256, Factor: 1, Salt: "c2FsdA==", Hash: "c2FsdA=="})
		}, ErrMalformedHash},
		{"stored pbkdf2 factor 1e9", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: PBKDF2SHA256, Factor: 1e9, Salt: "c2FsdA==", Hash: "P4so51Jv+r/T+vCp3cClaXU0KEWsgPxwxS/ifOLi1wQ="})
		}, ErrFactor},
		{"stored bcrypt garbage", func() error { return verifyErr("pw", storage.PasswordHash{Scheme: Bcrypt, Hash: "$2a$nope"}) }, ErrMalformedHash},
		{"stored argon2 4 GiB", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"})
		}, ErrMalformedHash},
		{"stored argon2i", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"})
		}, ErrMalformedHash},
		{"stored argon2 params with junk", func() error {
			return verifyErr("pw", storage.PasswordHash{Scheme: Argon2id, Hash: "$argon2id$v=19$m=19456,t=2,p=1,x=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ"})
		}, ErrMalformedHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// A 1 MB login attempt against a real hash is a plain "no", not an error.
	h, _ := Hash(context.Background(), "pw", PBKDF2SHA256, 1)
	if ok, err := Verify(context.Background(), huge, h); ok || err != nil {
		t.Fatalf("Verify(1 MB) = %v, %v", ok, err)
	}
	if !Supported(Bcrypt) || Supported("salted-md5") || Supported("") {
		t.Fatal("Supported disagrees with the scheme table")
	}
}

// verifyErr returns Verify's error, failing loudly if a refusal said yes.
func verifyErr(plain string, h storage.PasswordHash) error {
	ok, err := Verify(context.Background(), plain, h)
	if ok {
		return errors.New("malformed hash matched")
	}
	return err
}
