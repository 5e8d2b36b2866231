package kickstart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// FusionAuth's Kickstart files make their first admin by registering a user
// to FusionAuth's own application, #{FUSIONAUTH_APPLICATION_ID}, with the
// role "admin" (kickstart.mdx). latchkey's admin console signs in to an
// application with that id, so the same request does the same here: the
// variable names it, and the application is created before the requests
// when the file refers to it and does not create it itself.

// adminVariable is the variable FusionAuth defines for its application.
const adminVariable = "FUSIONAUTH_APPLICATION_ID"

// needsAdminApplication: a request refers to the admin application (in its
// URL or body) and none creates it.
func needsAdminApplication(p plan) bool {
	id := strings.ToLower(manage.AdminApplicationID)
	refers := false
	for _, r := range p.requests {
		u := strings.ToLower(r.URL)
		if r.Method == http.MethodPost && strings.HasSuffix(strings.TrimRight(u, "/"), "/api/application/"+id) {
			return false
		}
		b, _ := json.Marshal(r.Body)
		refers = refers || strings.Contains(u, id) || strings.Contains(strings.ToLower(string(b)), id)
	}
	return refers
}

// ensureAdminApplication creates the admin application through the API
// with the file's key, unless it exists; created says whether it did.
func ensureAdminApplication(ctx context.Context, o Options, key string) (created bool, err error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/application/"+manage.AdminApplicationID, nil)
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Authorization", key)
	rec := httptest.NewRecorder()
	o.Handler.ServeHTTP(rec, req)
	switch rec.Code {
	case http.StatusOK:
		return false, nil
	case http.StatusNotFound:
	default:
		return false, fmt.Errorf("kickstart: read the admin console application: status %d", rec.Code)
	}
	b, err := json.Marshal(map[string]any{"application": manage.AdminApplication()})
	if err != nil {
		return false, err
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		return false, err
	}
	err = send(ctx, o, key, 0, request{Method: http.MethodPost, URL: "/api/application/" + manage.AdminApplicationID, Body: body})
	return err == nil, err
}
