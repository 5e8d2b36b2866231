package manage_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// FuzzImport: any import request that decodes is answered with nil, a
// *manage.Invalid (its problems named by record) or ErrImportConflict,
// never a panic or another error; and a refused request stores nobody.
func FuzzImport(f *testing.F) {
	for _, seed := range []string{
		`{"users":[{"email":"a@x.test","password":"p","active":true}]}`,
		`{"users":[{"email":"a@x.test","password":"$2a$04$abcdefghijklmnopqrstuu5Zq8Zb0fU/ZnQ1Z6y9zYB1tOHvYv5Sm","encryptionScheme":"bcrypt"}]}`,
		`{"users":[{"username":"u","password":"AAAA","encryptionScheme":"salted-md5","salt":"!!","factor":-1}]}`,
		`{"users":[{"email":"a@x.test","password":"$P$B12345678abcdefghijklmnopqrstuv","encryptionScheme":"phpass-md5"},{"email":"A@X.test","password":"x"}]}`,
		`{"users":[{"id":"x","password":"p","registrations":[{"applicationId":"y","roles":["z"]}],"twoFactor":{"methods":[]}}]}`,
		`{"users":[]}`, `{"encryptionScheme":"bcrypt","factor":99,"users":[{"email":"b@x.test","password":"p"}]}`,
	} {
		f.Add(seed)
	}
	st := sqlstorage.OpenTest(f)
	ctx := context.Background()
	if err := manage.EnsureDefaults(ctx, st, "https://login.example.test", now); err != nil {
		f.Fatal(err)
	}
	im := &manage.Import{Store: st, Now: clock}
	f.Fuzz(func(t *testing.T, body string) {
		var req manage.ImportRequest
		if json.Unmarshal([]byte(body), &req) != nil || len(req.Users) > 50 {
			return
		}
		for i := range req.Users {
			if req.Users[i].EncryptionScheme == "" {
				req.Users[i].EncryptionScheme = "bcrypt" // no KDF per fuzz input
			}
		}
		var absent []string
		for _, u := range req.Users {
			if _, gerr := st.GetUser(ctx, u.ID); u.ID != "" && gerr != nil {
				absent = append(absent, u.ID)
			}
		}
		err := im.Run(ctx, manage.Scope{}, req)
		var inv *manage.Invalid
		if err != nil && !errors.As(err, &inv) && !errors.Is(err, manage.ErrImportConflict) {
			t.Fatalf("Run: %v", err)
		}
		for _, id := range absent {
			if _, gerr := st.GetUser(ctx, id); err != nil && gerr == nil {
				t.Fatalf("user %s stored by a refused request", id)
			}
		}
	})
}
