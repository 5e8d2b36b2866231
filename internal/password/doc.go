// Package password owns passwords under FusionAuth's names and rules
// (fusionauth-api.md §6.4; FusionAuth's reference/password-hashes page;
// accounts spec §9):
//
//   - hashing, constant-time verification, the dummy verification that
//     makes an unknown user cost what a known one costs, and the
//     rehash-on-login decision (modifyEncryptionSchemeOnLogin);
//   - every scheme FusionAuth ships, the weak ones for imported users only
//     (Legacy: verified once, always rehashed), with every factor a stored
//     hash carries bounded (limits.go) and CheckStored for the import;
//   - the tenant's password policy (Rules: Validate, Check, Reused,
//     AtLogin) with FusionAuth's field error codes, and the offline
//     common-password check (subpackage breached).
//
// Passwords are never truncated: bcrypt's 72-byte limit is an error, not a
// silent cut (golang/go#36546, ASVS 5.0 6.2.8).
//
// It must not import net/http, storage backends, or any latchkey package
// other than internal/storage (for the PasswordHash record) and its own
// subpackages (internal/archtest checks).
package password
