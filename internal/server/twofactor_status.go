package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// twoFactorStatusRequest is FusionAuth's TwoFactorStatusRequest (POST
// /api/two-factor/status). action and accessToken are accepted and
// ignored: latchkey has no step-up policies (docs/compatibility.md).
type twoFactorStatusRequest struct {
	UserID           string `json:"userId"`
	ApplicationID    string `json:"applicationId"`
	TwoFactorTrustID string `json:"twoFactorTrustId"`
	Action           string `json:"action"`
	AccessToken      string `json:"accessToken"`
}

type twoFactorTrustJSON struct {
	ApplicationID string `json:"applicationId,omitempty"`
	Expiration    int64  `json:"expiration"`
	StartInstant  int64  `json:"startInstant"`
}

type twoFactorStatusJSON struct {
	Trusts           []twoFactorTrustJSON `json:"trusts,omitempty"`
	TwoFactorTrustID string               `json:"twoFactorTrustId,omitempty"`
}

// twoFactorStatus handles GET /api/two-factor/status[/{twoFactorTrustId}]
// ?userId=&applicationId= and POST /api/two-factor/status (API key;
// accounts spec §10.9, TS retrieveTwoFactorStatus[Using]): 200 when a
// login of the user with that trust would need no second factor, 242 when
// it would, each with the trust when it is live and the user's.
func (s *Server) twoFactorStatus(w http.ResponseWriter, r *http.Request) {
	req := twoFactorStatusRequest{UserID: queryValue(r, "userId"), ApplicationID: queryValue(r, "applicationId"),
		TwoFactorTrustID: r.PathValue("twoFactorTrustId")}
	if r.Method == http.MethodPost && !s.decodeJSON(w, r, &req, false) {
		return
	}
	var e Errors
	if req.UserID == "" {
		e.Field("blank", "userId", "You must specify the [userId] property.")
	} else if !validUUID(req.UserID) {
		e.Field("couldNotConvert", "userId", "Invalid [userId] ["+truncate(req.UserID, 64)+"]. It must be a UUID.")
	}
	if req.ApplicationID != "" && !validUUID(req.ApplicationID) {
		e.Field("couldNotConvert", "applicationId", "Invalid [applicationId] ["+truncate(req.ApplicationID, 64)+"]. It must be a UUID.")
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	u, err := s.Manage.Users.Get(r.Context(), scope(r), req.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Auth.TwoFactorStatus(r.Context(), auth.TwoFactorStatusRequest{User: u,
		ApplicationID: req.ApplicationID, TrustID: req.TwoFactorTrustID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out twoFactorStatusJSON
	if t := st.Trust; t != nil {
		out.TwoFactorTrustID = req.TwoFactorTrustID
		out.Trusts = []twoFactorTrustJSON{{ApplicationID: t.ApplicationID,
			Expiration: t.Expiry.UnixMilli(), StartInstant: t.Start.UnixMilli()}}
	}
	status := http.StatusOK
	if st.Required {
		status = 242
	}
	writeJSON(w, status, out)
}
