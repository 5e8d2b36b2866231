package password

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Where the vectors come from. None was produced by this package.
//
// Salted digests, HMAC and PBKDF2-HMAC-SHA512: Python's hashlib and hmac,
// with salt = base64.b64decode(vecSalt):
//
//	def digest(alg, pw, rounds):          # salted-md5, salted-sha256
//	    x = pw.encode() + salt
//	    for _ in range(rounds): x = hashlib.new(alg, x).digest()
//	    return base64.b64encode(x)
//	base64.b64encode(hmac.new(salt, pw.encode(), hashlib.sha256).digest())
//	base64.b64encode(hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, 24000, 64))
//
// phpass: the known hashes published with openwall's phpass (test.php:
// "test12345"), passlib's phpass tests ("test1", "JohnRipper", ""), and
// FusionAuth's own phpass test data ("123456", with the split FusionAuth
// imports: factor 2048, salt IQRaTwmf, hash eRo7ud9Fh4E2PdI0S3r.L0); Drupal
// 7 hashes made by Drupal ("admin" from scripts/password-hash.sh,
// "boat2020;A" from a Drupal migration test). Each was also checked with
// this reimplementation of phpass's crypt_private (PasswordHash.php), which
// made the "$P$BabcdefGH" and "$S$DabcdefGH" vectors:
//
//	def crypt_private(pw, setting, alg, keep):
//	    count = 1 << itoa64.index(setting[3]); salt = setting[4:12].encode()
//	    h = hashlib.new(alg, salt + pw.encode()).digest()
//	    for _ in range(count): h = hashlib.new(alg, h + pw.encode()).digest()
//	    return (setting[:12] + encode64(h, len(h)))[:12 + keep]   # keep 22 or 43
//
// with encode64 as in PasswordHash.php.
//
// bcrypt $2y$: PHP 8.2's crypt() (the PHP manual's example hash for
// "rasmuslerdorf") and password_hash(..., ["cost" => 4]).
const vecSalt = "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ="

type vector struct {
	name  string
	plain string
	h     storage.PasswordHash
}

func legacyVectors() []vector {
	d := func(scheme string, factor int, hash string) storage.PasswordHash {
		return storage.PasswordHash{Scheme: scheme, Factor: factor, Salt: vecSalt, Hash: hash}
	}
	whole := func(scheme, hash string) storage.PasswordHash {
		return storage.PasswordHash{Scheme: scheme, Hash: hash}
	}
	const uni = "pässwörd🔑"
	return []vector{
		{"md5 1 round", "password", d(SaltedMD5, 1, "tHKHFu4ajeX+POQ2Rv9Jcw==")},
		{"md5 default factor", "password", d(SaltedMD5, 0, "+KJ5eG7AHaz5dcmw84a8YQ==")},
		{"md5 unicode", uni, d(SaltedMD5, 20000, "DiDPRXZpUvvmlSKPTy7iuA==")},
		{"md5 unpadded base64", "password", storage.PasswordHash{Scheme: SaltedMD5, Factor: 1,
			Salt: strings.TrimRight(vecSalt, "="), Hash: "tHKHFu4ajeX+POQ2Rv9Jcw"}},
		{"sha256 1 round", "password", d(SaltedSHA256, 1, "IvJ+nnG3FEgIjHPRQXZ7+Uyuw8+qsLRp4atFFc3XaSc=")},
		{"sha256 20000", "password", d(SaltedSHA256, 20000, "lxZUvfcvUMUZJwwL9aF2ctaB4MKewPTd9L/l0+jv2iQ=")},
		{"sha256 unicode", uni, d(SaltedSHA256, 1, "zniu5DvNrh4MsZjA05KWr8qE+cICeD2e/tXLgkZxeUg=")},
		{"hmac", "password", d(SaltedHMACSHA256, 0, "/IpkcWrO17m/Tq+i61NWQo/FqpZms2YxL6l7Hm8umn0=")},
		{"hmac factor ignored", "password", d(SaltedHMACSHA256, 24000, "/IpkcWrO17m/Tq+i61NWQo/FqpZms2YxL6l7Hm8umn0=")},
		{"hmac unicode", uni, d(SaltedHMACSHA256, 1, "dqZ5jiuOIxk3ryc3wbNWurjAezGAXOgI1i/c3HAfl4w=")},
		{"pbkdf2-sha512", "password", d(PBKDF2SHA512512, 24000, "eRlDfTRBkuTWTaoLizSovai8T5Q46LUN9pLdXypty7pssBuUc3Mff/lfXfyaGPtIWXFgoCTXYbe5cwn8axwR8Q==")},
		{"pbkdf2-sha512 unicode", uni, d(PBKDF2SHA512512, 0, "WLNHVaYxwOnUid6N8Yb7tTYzOGfXKGR/FKcJ0LNxM6HddT+9mnRcw1t5KYqqlX20kOuEy9bBZ0cMXMFKQcbZDA==")},
		{"phpass openwall test.php", "test12345", whole(PHPassMD5, "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0")},
		{"phpass FusionAuth split", "123456", storage.PasswordHash{Scheme: PHPassMD5, Factor: 8192, Salt: "VaXtDXwf", Hash: "/ceSVp8VpLKx8bS2Y4O5F/"}},
		{"phpass split, default factor 2048", "test12345", storage.PasswordHash{Scheme: PHPassMD5, Salt: "IQRaTwmf", Hash: "eRo7ud9Fh4E2PdI0S3r.L0"}},
		{"phpass phpBB $H$", "test1", whole(PHPassMD5, "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00")},
		{"phpass WordPress $P$B", "JohnRipper", whole(PHPassMD5, "$P$B12345678L6Lpt4BxNotVIMILOa9u81")},
		{"phpass unicode", uni, whole(PHPassMD5, "$P$BabcdefGH2QEeOAKMpk0ZDNUF3ANwc.")},
		{"drupal7 admin", "admin", whole(PHPassSHA512, "$S$DDEzmVGyUponhBeWCHBORSLh8X/MX1k0dnHdjF2QG8eq3IDaugr6")},
		{"drupal7 split", "boat2020;A", storage.PasswordHash{Scheme: PHPassSHA512, Factor: 1 << 15, Salt: ".oOkSJYp", Hash: "btcVkh0TXSm8BzRKYpsEHrrqPRiaDmiqr.GVE3QisdC"}},
		{"drupal7 unicode", uni, whole(PHPassSHA512, "$S$DabcdefGHG2PGvFVATIaoTahJdoGmKwUOzHhg63vOKjY5ssUZECs")},
		{"bcrypt $2y$ PHP manual", "rasmuslerdorf", whole(Bcrypt, "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq")},
		{"bcrypt $2y$ split", "correct horse", storage.PasswordHash{Scheme: Bcrypt, Factor: 4, Salt: "as35RSx4HThJE1gzjZThye", Hash: "12Man7iXehL16yZyLXprUinTWwcxfVy"}},
		{"alias fusionauth", "password", d("fusionauth", 1, "D/nLzY4cy4PMkDRMIaUy5Ho7WcCNA7L/5tolw55L1nU=")},
	}
}

// TestImportedHashVectors: each hash another system stored verifies with
// its password and refuses near misses, whichever storage form it comes in.
func TestImportedHashVectors(t *testing.T) {
	for _, v := range legacyVectors() {
		t.Run(v.name, func(t *testing.T) {
			if err := CheckStored(v.h); err != nil {
				t.Fatalf("CheckStored: %v", err)
			}
			for _, c := range []struct {
				plain string
				want  bool
			}{{v.plain, true}, {v.plain + "x", false}, {strings.ToUpper(v.plain) + "A", false}, {"wrong", false}} {
				ok, err := Verify(context.Background(), c.plain, v.h)
				if err != nil || ok != c.want {
					t.Fatalf("Verify(%q) = %v, %v; want %v", c.plain, ok, err, c.want)
				}
			}
		})
	}
}

// TestLegacyHashRoundTrip: HashLegacy produces what the source system would
// store (the shape FusionAuth imports), and it verifies; Hash refuses to
// make a new legacy hash at all.
func TestLegacyHashRoundTrip(t *testing.T) {
	shapes := map[string]func(storage.PasswordHash) bool{
		SaltedMD5:        func(h storage.PasswordHash) bool { return len(h.Salt) == 44 && len(h.Hash) == 24 },
		SaltedSHA256:     func(h storage.PasswordHash) bool { return len(h.Hash) == 44 },
		SaltedHMACSHA256: func(h storage.PasswordHash) bool { return len(h.Hash) == 44 && h.Factor == 1 },
		PHPassMD5:        func(h storage.PasswordHash) bool { return len(h.Salt) == 8 && len(h.Hash) == 22 && h.Factor == 2048 },
		PHPassSHA512:     func(h storage.PasswordHash) bool { return len(h.Salt) == 8 && len(h.Hash) == 43 },
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			if _, err := Hash(context.Background(), "pw", name, 0); !errors.Is(err, ErrLegacyScheme) {
				t.Fatalf("Hash with a legacy scheme: err = %v, want ErrLegacyScheme", err)
			}
			h, err := HashLegacy(context.Background(), "correct horse", name, 0)
			if err != nil || h.Scheme != name || !shape(h) {
				t.Fatalf("HashLegacy = %+v, %v", h, err)
			}
			for plain, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false} {
				if ok, err := Verify(context.Background(), plain, h); err != nil || ok != want {
					t.Fatalf("Verify(%q) = %v, %v; want %v", plain, ok, err, want)
				}
			}
			if !Legacy(name) || Supported(name) || !Verifiable(name) {
				t.Fatal("a legacy scheme must be verifiable and not supported for new hashes")
			}
		})
	}
}

// TestLegacyAlwaysRehashed: whatever the tenant's scheme and factor, a user
// imported with a weak scheme gets the tenant's hash at the next successful
// login (the rehash in internal/auth asks NeedsRehash).
func TestLegacyAlwaysRehashed(t *testing.T) {
	n := 0
	for _, v := range legacyVectors() {
		if !Legacy(v.h.Scheme) {
			continue
		}
		n++
		for _, tenant := range []string{"", PBKDF2SHA256, Bcrypt, Argon2id} {
			// The tenant's default factor and the vector's factor may even
			// agree (salted-md5 20000 vs PBKDF2 24000 do not, but the
			// scheme alone must decide).
			if !NeedsRehash(v.h, tenant, v.h.Factor) || !NeedsRehash(v.h, tenant, 0) {
				t.Errorf("%s: NeedsRehash(tenant %q) = false for a legacy hash", v.name, tenant)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d legacy vectors", n)
	}
	// Even if a tenant were (wrongly) configured with a legacy scheme, no
	// rehash is attempted into it.
	md5, _ := HashLegacy(context.Background(), "pw", SaltedMD5, 1)
	if NeedsRehash(md5, SaltedMD5, 1) {
		t.Fatal("NeedsRehash targets a legacy scheme")
	}
}
