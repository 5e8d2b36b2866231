package manage_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestCreateUndoneWhenTokenFails: FusionAuth creates the user and its token
// in one transaction; latchkey stores the user first, so a failed mint must
// remove it again, and the same request must then succeed (nothing is left
// to collide with).
func TestCreateUndoneWhenTokenFails(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	in := manage.NewUser{User: manage.UserInput{User: storage.User{Email: "ada@example.test"}, Password: "correct horse"}}
	users := &manage.Users{Store: st, Tokens: failingIssuer{}, Now: clock}
	if _, err := users.Create(ctx, in); !errors.Is(err, errMint) {
		t.Fatalf("create: %v, want the mint failure", err)
	}
	if _, err := st.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: "ada@example.test"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the user of a failed create is still stored (%v)", err)
	}
	regs := &manage.Registrations{Store: st, Users: users, Now: clock}
	a := manage.ApplicationDefaults()
	a.Name = "Store"
	app, err := (&manage.Applications{Store: st, Cache: forgetNothing{}, Now: clock}).Create(ctx, "", a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := regs.RegisterNew(ctx, manage.NewRegistration{User: in.User,
		Registration: storage.Registration{ApplicationID: app.ID}}); !errors.Is(err, errMint) {
		t.Fatalf("register: %v, want the mint failure", err)
	}
	if _, err := st.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: "ada@example.test"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the user of a failed registration is still stored (%v)", err)
	}
}

// TestScopeHidesOtherTenants: a caller scoped to another tenant gets the
// same ErrNotFound for a real record as for an unknown id, and finds
// nothing by email.
func TestScopeHidesOtherTenants(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const id = "0f1a2b3c-0000-4000-8000-0000000000b1"
	if err := st.CreateUser(ctx, storage.User{ID: id, TenantID: manage.DefaultTenantID, Active: true, Email: "ada@example.test"}); err != nil {
		t.Fatal(err)
	}
	users := &manage.Users{Store: st, Now: clock}
	other := manage.Scope{TenantID: "0f1a2b3c-0000-4000-8000-0000000000ff"}
	if _, err := users.Get(ctx, manage.Scope{}, id); err != nil {
		t.Fatalf("unscoped get: %v", err)
	}
	if _, err := users.Get(ctx, other, id); !errors.Is(err, manage.ErrNotFound) {
		t.Fatalf("get from another tenant: %v, want ErrNotFound", err)
	}
	if _, err := users.Find(ctx, other, manage.UserQuery{Email: "ADA@example.test"}); !errors.Is(err, manage.ErrNotFound) {
		t.Fatalf("find from another tenant: %v, want ErrNotFound", err)
	}
	if err := users.Deactivate(ctx, other, id); !errors.Is(err, manage.ErrNotFound) {
		t.Fatalf("deactivate from another tenant: %v, want ErrNotFound", err)
	}
	if u, _ := st.GetUser(ctx, id); !u.Active {
		t.Fatal("a refused deactivation changed the user")
	}
}

// TestCreateReportsEveryProblem: one answer lists every problem of the
// input, so a client fixes them at once.
func TestCreateReportsEveryProblem(t *testing.T) {
	st := openStore(t)
	users := &manage.Users{Store: st, Tokens: failingIssuer{}, Now: clock}
	_, err := users.Create(context.Background(), manage.NewUser{ApplicationID: "not-a-uuid",
		User: manage.UserInput{User: storage.User{Email: "not an email", BirthDate: "1990-02-30"}}})
	got := problems(t, err)
	want := []string{"[notEmail]user.email", "[invalid]user.birthDate", "[blank]user.password", "[invalid]applicationId"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
}

type forgetNothing struct{}

func (forgetNothing) ForgetApplication(string) {}
