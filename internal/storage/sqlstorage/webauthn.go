package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// webauthnColumns are read in this order by scanCredential. The record's
// descriptive fields live in doc; what is matched or swapped has a column.
const webauthnColumns = `id, user_id, credential_id, sign_count, backup_state, last_use, inserted_at, public_key, aaguid, doc`

// credentialDoc is the JSON part of a passkey row.
type credentialDoc struct {
	storage.WebAuthnCredential
	BackupEligible bool `json:"backupEligible"`
}

func scanCredential(row interface{ Scan(...any) error }) (storage.WebAuthnCredential, error) {
	var c storage.WebAuthnCredential
	var d credentialDoc
	var id, user, doc string
	var cred, pub, aaguid []byte
	var count, backup, lastUse, inserted int64
	if err := row.Scan(&id, &user, &cred, &count, &backup, &lastUse, &inserted, &pub, &aaguid, &doc); err != nil {
		return c, err
	}
	if err := decode(doc, &d); err != nil {
		return c, err
	}
	c = d.WebAuthnCredential
	c.ID, c.UserID, c.CredentialID, c.PublicKey, c.AAGUID = id, user, cred, pub, aaguid
	c.SignCount, c.BackupState, c.BackupEligible = uint32(count), backup != 0, d.BackupEligible
	c.LastUseInstant, c.InsertInstant = lastUse, inserted
	return c, nil
}

// CreateWebAuthnCredential stores a passkey.
func (s *Store) CreateWebAuthnCredential(ctx context.Context, c storage.WebAuthnCredential) error {
	doc, err := encode(credentialDoc{WebAuthnCredential: c, BackupEligible: c.BackupEligible})
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO webauthn_credentials (`+webauthnColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.UserID, c.CredentialID, int64(c.SignCount), boolInt(c.BackupState), c.LastUseInstant, c.InsertInstant, c.PublicKey, c.AAGUID, doc)
	return err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// GetWebAuthnCredential reads a passkey by its id.
func (s *Store) GetWebAuthnCredential(ctx context.Context, id string) (storage.WebAuthnCredential, error) {
	c, err := scanCredential(s.r.QueryRowContext(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials WHERE id = $1`, id))
	return c, s.wrap(err)
}

// FindWebAuthnCredential reads a passkey by its credential id.
func (s *Store) FindWebAuthnCredential(ctx context.Context, credentialID []byte) (storage.WebAuthnCredential, error) {
	c, err := scanCredential(s.r.QueryRowContext(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials WHERE credential_id = $1`, credentialID))
	return c, s.wrap(err)
}

// ListWebAuthnCredentials lists a user's passkeys, oldest first.
func (s *Store) ListWebAuthnCredentials(ctx context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials WHERE user_id = $1 ORDER BY inserted_at, id`, userID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.WebAuthnCredential{}
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

// DeleteWebAuthnCredential deletes one passkey.
func (s *Store) DeleteWebAuthnCredential(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM webauthn_credentials WHERE id = $1`, id))
}

// DeleteWebAuthnCredentials deletes every passkey of a user.
func (s *Store) DeleteWebAuthnCredentials(ctx context.Context, userID string) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM webauthn_credentials WHERE user_id = $1`, userID)
	return int(n), err
}

// UseWebAuthnCredential is the compare-and-swap on the sign count.
func (s *Store) UseWebAuthnCredential(ctx context.Context, id string, prev, next uint32, backupState bool, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE webauthn_credentials SET sign_count = $3, backup_state = $4, last_use = $5
		WHERE id = $1 AND sign_count = $2`, id, int64(prev), int64(next), boolInt(backupState), ms(at))
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := s.GetWebAuthnCredential(ctx, id); err != nil {
			return err
		}
		return storage.ErrConflict
	}
	return nil
}
