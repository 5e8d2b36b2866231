package userimport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// appID is the application every generated user is registered to.
const appID = "5eed0000-0000-4000-8000-00000000a001"

// bcryptHash is one bcrypt hash (cost 10) in FusionAuth's import form:
// factor, the 22 salt characters and the 31 hash characters. The seed
// reuses it: the server parses every hash it stores but runs no KDF at
// import, so distinct hashes would cost the same.
const (
	bcryptSalt = "N9qo8uLOickgx2ZMRZoMye"
	bcryptPart = "IjZAgcfl7p92ldGxad68LJZdL17lhWy"
)

// userID is the id of generated user i.
func userID(i int) string { return fmt.Sprintf("5eed0000-0000-4000-8000-%012d", i) }

// writeSeed writes a FusionAuth import file of n users, each with a
// registration, to w, as a stream.
func writeSeed(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, `{"validateDbConstraints":false,"users":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"id":"%s","email":"user%d@example.test","username":"user%d","firstName":"User","lastName":"%d",`+
			`"password":"%s","encryptionScheme":"bcrypt","factor":10,"salt":"%s","active":true,"verified":true,`+
			`"data":{"source":"seed","n":%d},"registrations":[{"applicationId":"%s","roles":["user"],"verified":true}]}`,
			userID(i), i, i, i, bcryptPart, bcryptSalt, i, appID)
	}
	fmt.Fprint(bw, "]}")
	return bw.Flush()
}

// seedFile writes a seed of n users to a temporary file.
func seedFile(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSeed(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServer starts a real latchkey (SQLite, or PostgreSQL with
// LATCHKEY_TEST_POSTGRES_DSN) with the seed's application.
func startServer(t testing.TB) *apptest.Instance {
	t.Helper()
	return apptest.Start(t, apptest.Options{Seed: func(ctx context.Context, st storage.Storage) error {
		return st.CreateApplication(ctx, storage.Application{ID: appID, TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed",
			Name: "Seed", Active: true, State: "Active", Roles: []storage.ApplicationRole{{ID: appID + "-r", Name: "user"}}})
	}})
}
