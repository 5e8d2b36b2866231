package password

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// itoa64 is phpass's base64 alphabet (openwall.com/phpass, PasswordHash.php;
// also crypt(3)'s).
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// phpassScheme is FusionAuth's phpass-md5 and phpass-sha512, the "portable"
// hashes of phpass (WordPress, phpBB: $P$ / $H$ with MD5) and of Drupal 7
// ($S$ with SHA-512): h = H(salt ‖ pw), then factor times h = H(h ‖ pw),
// encoded with phpass's encode64, which for SHA-512 Drupal and FusionAuth
// cut to 43 characters. The factor is the round count itself (WordPress's
// $P$B is 2^13 = 8192), and the salt is used as its characters, not
// base64-decoded (FusionAuth's PortablePHP encryptors check it against
// ^[./A-Za-z0-9]+=*$). FusionAuth's import splits a hash into salt (the 8
// characters after the count character), factor and hash (the rest);
// verify also takes the whole string ("$P$B" + salt + hash) in Hash with an
// empty Salt, reading the count from it. Legacy.
type phpassScheme struct {
	name   string
	alg    digestAlg
	prefix string // the modular-crypt prefix of the whole-string form
	encLen int    // stored hash length: 22 (MD5) or 43 (SHA-512)
}

// FusionAuth's PortablePHPMD5PasswordEncryptor default; its SHA-512
// sibling's default is not published, and the same is assumed.
func (phpassScheme) defaultFactor() int                     { return 2048 }
func (phpassScheme) factors() (int, int)                    { return 1, maxPHPassCount }
func (phpassScheme) maxBytes() int                          { return MaxBytes }
func (phpassScheme) current(storage.PasswordHash, int) bool { return false }

func (p phpassScheme) derive(plain, salt string, count int) string {
	h := p.alg.new()
	h.Write([]byte(salt))
	h.Write([]byte(plain))
	sum := h.Sum(nil)
	for range count {
		h.Reset()
		h.Write(sum)
		h.Write([]byte(plain))
		sum = h.Sum(sum[:0])
	}
	return encode64(sum)[:p.encLen]
}

func (p phpassScheme) hash(plain string, count int) (storage.PasswordHash, error) {
	salt := encode64(newSalt()[:6]) // 6 random bytes, 8 characters, as phpass and FusionAuth
	return storage.PasswordHash{Salt: salt, Hash: p.derive(plain, salt, count)}, nil
}

// parse returns the salt, round count and encoded hash of either form.
func (p phpassScheme) parse(h storage.PasswordHash) (salt string, count int, enc string, err error) {
	salt, count, enc = h.Salt, h.Factor, h.Hash
	if salt == "" && strings.HasPrefix(enc, "$") {
		if salt, count, enc, err = p.parseWhole(enc); err != nil {
			return "", 0, "", err
		}
	}
	if !phpassSalt(salt) {
		return "", 0, "", fmt.Errorf("%w: %s salt is not phpass characters", ErrMalformedHash, p.name)
	}
	if len(enc) != p.encLen || strings.Trim(enc, itoa64) != "" {
		return "", 0, "", fmt.Errorf("%w: %s hash is not %d phpass characters", ErrMalformedHash, p.name, p.encLen)
	}
	return salt, count, enc, nil
}

// parseWhole splits "$P$" + count character + 8 salt characters + hash. The
// count is 2^index of the character in itoa64, 7..30 in phpass and Drupal,
// and is bounded by maxPHPassCount like a Factor.
func (p phpassScheme) parseWhole(s string) (salt string, count int, enc string, err error) {
	ok := strings.HasPrefix(s, p.prefix) || (p.alg == digestMD5 && strings.HasPrefix(s, "$H$"))
	if !ok || len(s) != 12+p.encLen {
		return "", 0, "", fmt.Errorf("%w: not a %s hash of %d characters", ErrMalformedHash, p.prefix, 12+p.encLen)
	}
	log2 := strings.IndexByte(itoa64, s[3])
	if log2 < 7 || log2 > 30 {
		return "", 0, "", fmt.Errorf("%w: %s count character %q", ErrMalformedHash, p.name, s[3])
	}
	if 1<<log2 > maxPHPassCount {
		return "", 0, "", fmt.Errorf("%w: %s count 2^%d over %d", ErrFactor, p.name, log2, maxPHPassCount)
	}
	return s[4:12], 1 << log2, s[12:], nil
}

// phpassSalt is FusionAuth's salt check, ^[./A-Za-z0-9]+=*$, with a length
// bound.
func phpassSalt(s string) bool {
	core := strings.TrimRight(s, "=")
	return core != "" && len(s) <= maxSaltBytes && strings.Trim(core, itoa64) == ""
}

func (p phpassScheme) check(h storage.PasswordHash) error {
	_, _, _, err := p.parse(h)
	return err
}

func (p phpassScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	salt, count, enc, err := p.parse(h)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(p.derive(plain, salt, count)), []byte(enc)) == 1, nil
}

// encode64 is phpass's encode64: little-endian groups of three bytes, six
// bits at a time, low bits first, in itoa64; a final partial group gives
// two or three characters (16 bytes → 22 characters, 64 → 86).
func encode64(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i += 3 {
		v := uint(b[i])
		n := 2
		if i+1 < len(b) {
			v |= uint(b[i+1]) << 8
			n = 3
		}
		if i+2 < len(b) {
			v |= uint(b[i+2]) << 16
			n = 4
		}
		for k := range n {
			out.WriteByte(itoa64[(v>>(6*k))&0x3f])
		}
	}
	return out.String()
}
