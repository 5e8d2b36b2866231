package app

import (
	"errors"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// successorPurpose names the subkey of the server secret that derives
// OneTimeUse refresh-token successors (internal/auth/secrets.go).
const successorPurpose = "latchkey refresh-token successor v1"

// federationPurpose names the subkey sealing the hosted page's federation
// state cookie (internal/server/oauth_federation.go).
const federationPurpose = "latchkey federation state v1"

// sealPurpose names the subkey that seals TOTP secrets (AES-256-GCM,
// internal/auth/seal.go). A distinct HKDF info string, so the two uses never
// share a key.
const sealPurpose = "latchkey two-factor secret seal v1"

// serverSecret finds the server secret (internal/secret): LATCHKEY_SECRET,
// else LATCHKEY_SECRET_FILE (which must exist: nodes generating their own
// would disagree), else, with SQLite, the file next to the database,
// generated on the first start. A store injected through Options (tests, one
// process) without a configured secret gets a random one for the process.
func serverSecret(cfg config.Config, opts Options, log *slog.Logger) (secret.Secret, error) {
	switch {
	case cfg.Secret != "":
		return secret.Parse(cfg.Secret)
	case cfg.SecretFile != "":
		return secret.Load(cfg.SecretFile)
	case opts.Store != nil:
		return secret.Generate(), nil
	}
	path, ok := sqlstorage.SQLitePath(cfg.DatabaseURL)
	if !ok {
		// config.Validate refuses PostgreSQL without a secret.
		return secret.Secret{}, errors.New("no server secret: set LATCHKEY_SECRET_FILE or LATCHKEY_SECRET")
	}
	s, created, err := secret.LoadOrCreate(path + ".secret")
	if created {
		log.Info("server secret created; keep it out of database backups and never share it", "file", path+".secret")
	}
	return s, err
}
