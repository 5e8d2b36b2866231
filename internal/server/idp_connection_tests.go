package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// startConnectionTest handles POST /api/identity-provider/test
// (identity-providers/test.mdx "Start an Identity Provider Connection
// Test", TS startIdentityProviderConnectionTest):
// {"identityProviderId","tenantId"} -> {"connectionTestId"}. The test is
// then run by a sign-in through the provider in test mode:
// /oauth2/federate/{identityProviderId}?<authorization request>&connectionTestId=…
// (oauth_federation.go), which records its steps instead of logging
// anybody in.
func (s *Server) startConnectionTest(w http.ResponseWriter, r *http.Request) {
	var req manage.ConnectionTestRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	id, err := s.Manage.IdentityProviderTests.Start(r.Context(), scope(r), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connectionTestId": id})
}

// connectionTestResults handles GET /api/identity-provider/test?connectionTestId=
// (TS retrieveIdentityProviderConnectionTestResults): {"result":{...}};
// 400 [missing]connectionTestId without one, 404 for an unknown or expired
// test or another tenant's.
func (s *Server) connectionTestResults(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("connectionTestId")
	if id == "" {
		writeFieldError(w, "missing", "connectionTestId", "You must specify the [connectionTestId] parameter.")
		return
	}
	res, err := s.Manage.IdentityProviderTests.Result(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": res})
}
