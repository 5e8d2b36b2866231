// Package password owns password hashing under FusionAuth's scheme names
// (fusionauth-api.md §6.4; FusionAuth's reference/password-hashes page):
// hashing, constant-time verification, the dummy verification that makes an
// unknown user cost what a known one costs, and the rehash-on-login decision
// (tenant.passwordEncryptionConfiguration.modifyEncryptionSchemeOnLogin).
//
// Hashes imported from FusionAuth (scheme, factor, salt, hash) verify as
// they are. Passwords are never truncated: bcrypt's 72-byte limit is an
// error, not a silent cut (golang/go#36546, ASVS 5.0 6.2.8).
//
// It must not import net/http, storage backends, or any latchkey package
// other than internal/storage (for the PasswordHash record).
package password
