package sqlstorage

import (
	"context"
	"testing"
)

// A registration stored before migration 0260, even one whose document says
// nothing of verification (written by storage directly), reads as verified
// after it: registration verification must not lock out existing users.
func TestRegistrationsMigrateVerified(t *testing.T) {
	ctx := context.Background()
	s := openMigratedFrom(t, 260,
		`INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
			VALUES ('u-a', 'tenant-a', 'a@example.test', NULL, '{"id":"u-a","tenantId":"tenant-a"}', '', 0, '', '')`,
		`INSERT INTO applications (id, tenant_id, active, doc) VALUES ('app-1', 'tenant-a', 1, '{"id":"app-1"}'), ('app-2', 'tenant-a', 1, '{"id":"app-2"}')`,
		`INSERT INTO registrations (id, user_id, application_id, doc) VALUES
			('r1', 'u-a', 'app-1', '{"id":"r1","applicationId":"app-1","verified":false,"insertInstant":1700}'),
			('r2', 'u-a', 'app-2', '{"id":"r2","applicationId":"app-2","insertInstant":1800}')`)
	for app, at := range map[string]int64{"app-1": 1700, "app-2": 1800} {
		r, err := s.GetRegistration(ctx, "u-a", app)
		if err != nil || !r.Verified || r.VerifiedInstant != at {
			t.Errorf("registration for %s after the migration: %+v %v", app, r, err)
		}
	}
}
