package storagetest

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// exactData is free-form data with numbers a float64 would change: the API
// keeps them as json.Number (internal/jsonnum), and so must storage.
func exactData() map[string]any {
	return map[string]any{
		"big": json.Number("9007199254740993"), "huge": json.Number("12345678901234567890"),
		"tenth": json.Number("0.1"), "negzero": json.Number("-0"),
		"nested": map[string]any{"list": []any{json.Number("-9223372036854775809"), json.Number("1.000000000000000000001")}},
	}
}

// testDataNumbersKeptExactly: numbers in the data of a tenant, an
// application, a user, a registration and a group come back exactly as
// stored; the statements that edit a stored document in SQL (a login's
// lastLoginInstant, a user's merged fields, a role renamed in every
// registration) keep each number's value (PostgreSQL's jsonb may re-spell
// one, -0 as 0, never change it).
func testDataNumbersKeptExactly(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	tn := newTenant(tenantID)
	tn.Data = exactData()
	must(t, s.CreateTenant(ctx, tn))
	app := newApp("app1", true)
	app.Data = exactData()
	must(t, s.CreateApplication(ctx, app))
	u := newUser("u1", "ada@example.com", "ada")
	u.Data = exactData()
	must(t, s.CreateUser(ctx, u))
	must(t, s.CreateRegistration(ctx, storage.Registration{ID: "reg1", UserID: u.ID, ApplicationID: app.ID,
		Roles: []string{"admin"}, Data: exactData()}))
	g := newGroup("g1", "One")
	g.Data = exactData()
	must(t, s.CreateGroup(ctx, g))

	gotT, err := s.GetTenant(ctx, tenantID)
	must(t, err)
	wantEqual(t, "tenant data", gotT.Data, exactData())
	gotA, err := s.GetApplication(ctx, app.ID)
	must(t, err)
	wantEqual(t, "application data", gotA.Data, exactData())
	gotU, err := s.GetUser(ctx, u.ID)
	must(t, err)
	wantEqual(t, "user data", gotU.Data, exactData())
	gotR, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	wantEqual(t, "registration data", gotR.Data, exactData())
	gotG, err := s.GetGroup(ctx, g.ID)
	must(t, err)
	wantEqual(t, "group data", gotG.Data, exactData())

	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: base.UnixMilli()}))
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, Fields: storage.UserFields{Verified: ptr(true)}}))
	app.Roles[0].Name = "administrator"
	must(t, s.ChangeApplicationRole(ctx, storage.RoleChange{Application: app, RoleID: app.Roles[0].ID, OldName: "admin"}))
	gotU, err = s.GetUser(ctx, u.ID)
	must(t, err)
	sameNumbers(t, "user data after a login and a merge", gotU.Data, exactData())
	gotR, err = s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	sameNumbers(t, "registration data after a login and a role rename", gotR.Data, exactData())
}

// sameNumbers compares decoded JSON, numbers by value.
func sameNumbers(t *testing.T, what string, got, want any) {
	t.Helper()
	if !sameValue(got, want) {
		t.Fatalf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case json.Number:
		g, ok := got.(json.Number)
		x, okx := new(big.Rat).SetString(string(g))
		y, oky := new(big.Rat).SetString(string(w))
		return ok && okx && oky && x.Cmp(y) == 0
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if !sameValue(g[k], v) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return got == want
}
