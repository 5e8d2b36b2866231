package kickstart

import (
	"strings"
	"testing"
)

// TestCheckAPIKeyPermissions: a restricted key whose endpoints or methods
// latchkey does not know would silently grant less than the file says (a
// typo such as /api/users grants nothing), and a key value the raw
// Authorization header cannot carry (whitespace, control characters,
// non-ASCII; fewer than 16 characters) could never be sent: the rules of
// /api/api-key. Such a file is refused with an error naming the key by
// index and description, never by its value.
func TestCheckAPIKeyPermissions(t *testing.T) {
	const super = `{"key":"kickstart-super-key-0123456789","description":"bootstrap"}`
	restricted := func(perms string) string {
		return `{"key":"kickstart-store-key-0123456789","description":"Store backend","permissions":{"endpoints":` + perms + `}}`
	}
	tests := []struct {
		name  string
		key   string
		wants []string // empty: accepted
	}{
		{"known endpoints and methods", restricted(`{"/api/user":["GET","PATCH"],"/api/user/registration":["POST"]}`), nil},
		{"unknown path", restricted(`{"/api/users":["GET"]}`), []string{`apiKeys[1] ("Store backend")`, `[/api/users]`, "/api/user/registration"}},
		{"path without /api", restricted(`{"user":["GET"]}`), []string{`apiKeys[1]`, `[user]`}},
		{"unknown method", restricted(`{"/api/user":["GET","FETCH"]}`), []string{`apiKeys[1] ("Store backend")`, `[FETCH]`, `[/api/user]`}},
		{"lower-case method", restricted(`{"/api/user":["get"]}`), []string{`apiKeys[1]`, `[get]`}},
		{"no methods", restricted(`{"/api/user":[]}`), []string{`apiKeys[1]`, `[/api/user]`, "no methods"}},
		{"value with spaces around", `{"key":"  kickstart-spaced-0123456789  ","description":"spaced"}`, []string{`apiKeys[1] ("spaced")`, "visible ASCII"}},
		{"value with a newline", `{"key":"kickstart-newline-0123456789\n"}`, []string{`apiKeys[1]`, "visible ASCII"}},
		{"value of 9 characters in 18 bytes", `{"key":"ééééééééé"}`, []string{`apiKeys[1]`, "16 characters"}},
		{"value of 15 characters", `{"key":"kickstart-12345"}`, []string{`apiKeys[1]`, "16 characters"}},
		{"tenantId not a UUID", `{"key":"kickstart-tenant-key-0123456789","tenantId":"default"}`, []string{`apiKeys[1]`, `"default"`, "UUID"}},
		{"tenantId UUID", `{"key":"kickstart-tenant-key-0123456789","tenantId":"B54CA84B-ACEB-4215-9678-473AFDEAABED"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kick, _ := kickstartDir(t, nil)
			p, err := loadKeys(t, kick, super+","+tt.key)
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(p.keys) != 2 {
					t.Fatalf("keys = %+v", p.keys)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %s: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "0123456789") {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func loadKeys(t *testing.T, dir, keys string) (plan, error) {
	t.Helper()
	return loadDoc(t, dir, `{"apiKeys":[`+keys+`],"requests":[]}`)
}
