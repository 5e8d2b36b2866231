package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// pingLogin handles PUT /api/login/{userId}/{applicationId}?ipAddress= and
// PUT /api/login/{userId} (login.mdx "Update Login Instant", TS loginPing):
// the login is recorded without a credential (auth.PingLogin). 200 without
// a body, 202 when the user is not registered for the application.
func (s *Server) pingLogin(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	appID, ok := optionalPathID(w, r, "applicationId", "applicationId")
	if !ok {
		return
	}
	s.writePing(w, r, userID, appID, queryValue(r, "ipAddress"))
}

// pingLoginWithRequest handles PUT /api/login with FusionAuth's
// LoginPingRequest (TS loginPingWithRequest): {"userId","applicationId",
// "ipAddress"}; the body's ipAddress wins over the query's.
func (s *Server) pingLoginWithRequest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID        string `json:"userId"`
		ApplicationID string `json:"applicationId"`
		IPAddress     string `json:"ipAddress"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.UserID == "" {
		writeFieldError(w, "blank", "userId", "You must specify the [userId] property.")
		return
	}
	if !optionalID(w, "userId", req.UserID) || !optionalID(w, "applicationId", req.ApplicationID) {
		return
	}
	s.writePing(w, r, strings.ToLower(req.UserID), strings.ToLower(req.ApplicationID),
		firstOf(req.IPAddress, queryValue(r, "ipAddress")))
}

// writePing records the ping and writes its answer. The address is the
// one given, else the caller's (a server-side call with an API key vouches
// for the address of the user it acts for, as on POST /api/login).
func (s *Server) writePing(w http.ResponseWriter, r *http.Request, userID, appID, ip string) {
	registered, err := s.Auth.PingLogin(r.Context(), auth.LoginPing{UserID: userID, ApplicationID: appID,
		IPAddress: s.userIP(r, ip), TenantID: scope(r).TenantID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !registered {
		writeEmpty(w, http.StatusAccepted)
		return
	}
	writeEmpty(w, http.StatusOK)
}
