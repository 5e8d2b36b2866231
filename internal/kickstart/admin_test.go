package kickstart_test

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// The first admin as FusionAuth's own Kickstart examples make it: a user
// registered to #{FUSIONAUTH_APPLICATION_ID} with the role admin.
const firstAdmin = `{
  "apiKeys": [{"key": "` + key + `"}],
  "requests": [
    {"method": "POST", "url": "/api/user/registration", "body": {
      "user": {"email": "admin@example.test", "password": "first admin password"},
      "registration": {"applicationId": "#{FUSIONAUTH_APPLICATION_ID}", "roles": ["admin"]},
      "skipVerification": true}}
  ]
}`

// TestKickstartCreatesTheFirstAdmin: the admin console's application is
// created for the file, and the user it registers is an admin of the
// console.
func TestKickstartCreatesTheFirstAdmin(t *testing.T) {
	path := writeFiles(t, map[string]string{"kickstart.json": firstAdmin})
	store := sqlstorage.OpenTest(t)
	apptest.Start(t, apptest.Options{Store: store, Config: func(c *config.Config) { c.Kickstart = path }})
	ctx := context.Background()
	app, err := store.GetApplication(ctx, manage.AdminApplicationID)
	if err != nil {
		t.Fatalf("the admin console application was not created: %v", err)
	}
	if len(app.Roles) != 1 || app.Roles[0].Name != manage.AdminRole {
		t.Fatalf("admin application roles %+v, want [admin]", app.Roles)
	}
	reg, err := store.GetRegistration(ctx, mustFindUser(t, store, "admin@example.test"), manage.AdminApplicationID)
	if err != nil || len(reg.Roles) != 1 || reg.Roles[0] != manage.AdminRole {
		t.Fatalf("registration %+v, %v: want the admin role of the console application", reg, err)
	}
}

func mustFindUser(t *testing.T, st storage.Storage, email string) string {
	t.Helper()
	u, err := st.FindUser(context.Background(), storage.UserFilter{TenantID: manage.DefaultTenantID, Email: email})
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}
