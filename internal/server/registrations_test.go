package server_test

import (
	"encoding/json"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// TestRegistrationUpdateWithApplicationInBody: the TS client's
// updateRegistration/patchRegistration send PUT/PATCH
// /api/user/registration/{userId} with the application in the body.
func TestRegistrationUpdateWithApplicationInBody(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	in.Do(t, "POST", "/api/application/"+appID, map[string]any{"application": map[string]any{"name": "Store",
		"roles": []any{map[string]any{"name": "user", "isDefault": true}, map[string]any{"name": "admin"}}}})
	resp, body := in.Do(t, "POST", "/api/user/registration/"+userID, map[string]any{
		"user": map[string]any{"email": "r@example.com", "password": "a good password"}, "registration": map[string]any{"applicationId": appID}})
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name, method string
		body         any
		status       int
		wantRoles    string
	}{
		{"put", "PUT", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"admin"}}}, 200, `["admin"]`},
		{"patch appends", "PATCH", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"user"}}}, 200, `["admin","user"]`},
		{"no application", "PUT", map[string]any{"registration": map[string]any{"roles": []string{"user"}}}, 400, `["admin","user"]`},
		{"unknown application", "PUT", map[string]any{"registration": map[string]any{"applicationId": missing}}, 404, `["admin","user"]`},
		{"application not a uuid", "PATCH", map[string]any{"registration": map[string]any{"applicationId": "x"}}, 400, `["admin","user"]`},
		{"malformed JSON", "PUT", `{"registration":`, 400, `["admin","user"]`},
		{"unknown role", "PUT", map[string]any{"registration": map[string]any{"applicationId": appID, "roles": []string{"root"}}}, 400, `["admin","user"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := in.Do(t, tt.method, "/api/user/registration/"+userID, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
			reg, err := in.Store.GetRegistration(t.Context(), userID, appID)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(reg.Roles); string(got) != tt.wantRoles {
				t.Fatalf("stored roles %s, want %s", got, tt.wantRoles)
			}
		})
	}
}
