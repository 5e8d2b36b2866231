package password

// FusionAuth's scheme names (the registered names of its built-in
// encryptors; reference/password-hashes). Argon2id is latchkey's: FusionAuth
// has it only as a plugin.
const (
	PBKDF2SHA256    = "salted-pbkdf2-hmac-sha256"
	PBKDF2SHA256512 = "salted-pbkdf2-hmac-sha256-512"
	PBKDF2SHA512512 = "salted-pbkdf2-hmac-sha512-512"
	Bcrypt          = "bcrypt"
	Argon2id        = "argon2id"

	// The legacy schemes: verified for imported users, never produced for
	// a new password, always rehashed at the next successful login.
	SaltedMD5        = "salted-md5"
	SaltedSHA256     = "salted-sha256"
	SaltedHMACSHA256 = "salted-hmac-sha256"
	PHPassMD5        = "phpass-md5"
	PHPassSHA512     = "phpass-sha512"

	// Default is FusionAuth's default tenant scheme.
	Default = PBKDF2SHA256
)

var schemes = map[string]scheme{
	PBKDF2SHA256:     pbkdf2Scheme{name: PBKDF2SHA256, prf: prfSHA256, keyLen: 32},
	PBKDF2SHA256512:  pbkdf2Scheme{name: PBKDF2SHA256512, prf: prfSHA256, keyLen: 64},
	PBKDF2SHA512512:  pbkdf2Scheme{name: PBKDF2SHA512512, prf: prfSHA512, keyLen: 64},
	Bcrypt:           bcryptScheme{},
	Argon2id:         argon2Scheme{},
	SaltedMD5:        digestScheme{name: SaltedMD5, alg: digestMD5, def: 20000},
	SaltedSHA256:     digestScheme{name: SaltedSHA256, alg: digestSHA256, def: 20000},
	SaltedHMACSHA256: hmacScheme{},
	PHPassMD5:        phpassScheme{name: PHPassMD5, alg: digestMD5, prefix: "$P$", encLen: 22},
	PHPassSHA512:     phpassScheme{name: PHPassSHA512, alg: digestSHA512, prefix: "$S$", encLen: 43},
}

var legacy = map[string]bool{
	SaltedMD5: true, SaltedSHA256: true, SaltedHMACSHA256: true, PHPassMD5: true, PHPassSHA512: true,
}

// aliases are FusionAuth's deprecated scheme names
// (DefaultPasswordEncryptorLibrary): hashes exported under them verify as
// salted-pbkdf2-hmac-sha256 and are stored under that name when rehashed.
var aliases = map[string]string{"fusionauth": PBKDF2SHA256, "django": PBKDF2SHA256}

func canonical(name string) string {
	if c, ok := aliases[name]; ok {
		return c
	}
	return name
}
