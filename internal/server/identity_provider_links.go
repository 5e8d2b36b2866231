package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// identityProviderLinkFields are the members of FusionAuth's
// IdentityProviderLink a request may set. token is read and dropped:
// latchkey keeps no upstream token (docs/compatibility.md).
type identityProviderLinkFields struct {
	DisplayName            string `json:"displayName"`
	IdentityProviderID     string `json:"identityProviderId"`
	IdentityProviderUserID string `json:"identityProviderUserId"`
	UserID                 string `json:"userId"`
	Token                  string `json:"token"`
}

// linkUser handles POST /api/identity-provider/link (links.mdx "Link a
// User", TS createUserLink): {"identityProviderLink":{identityProviderId,
// identityProviderUserId, userId, displayName}}, or the same members at the
// top level (the form deprecated in 1.43.0) -> {"identityProviderLink":{...}}.
// With pendingIdPLinkId ("Complete a Pending Link", TS createUserLink too)
// the upstream account is the pending link's and only the userId is read.
func (s *Server) linkUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IdentityProviderLink *identityProviderLinkFields `json:"identityProviderLink"`
		PendingIdPLinkID     string                      `json:"pendingIdPLinkId"`
		identityProviderLinkFields
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	in := req.identityProviderLinkFields
	if req.IdentityProviderLink != nil {
		in = *req.IdentityProviderLink
	}
	if req.PendingIdPLinkID != "" {
		l, err := s.Manage.IdentityProviderLinks.LinkPending(r.Context(), scope(r), req.PendingIdPLinkID, in.UserID)
		s.answer(w, r, err, map[string]any{"identityProviderLink": l})
		return
	}
	l, err := s.Manage.IdentityProviderLinks.Link(r.Context(), scope(r), manage.LinkRequest{IdentityProviderID: in.IdentityProviderID,
		IdentityProviderUserID: in.IdentityProviderUserID, UserID: in.UserID, DisplayName: in.DisplayName})
	s.answer(w, r, err, map[string]any{"identityProviderLink": l})
}

// getUserLinks handles GET /api/identity-provider/link (links.mdx
// "Retrieve a Link", TS retrieveUserLink and retrieveUserLinksByUserId):
// with identityProviderId and identityProviderUserId, the one link of that
// upstream account ({"identityProviderLink":{...}}; 404 when there is none,
// or when userId is given and it is another user's); with userId alone or
// with identityProviderId, the user's links ({"identityProviderLinks":[...]}).
func (s *Server) getUserLinks(w http.ResponseWriter, r *http.Request) {
	providerID, providerUserID, userID := queryValue(r, "identityProviderId"), queryValue(r, "identityProviderUserId"), queryValue(r, "userId")
	if !optionalID(w, "identityProviderId", providerID) || !optionalID(w, "userId", userID) {
		return
	}
	switch {
	case providerID != "" && providerUserID != "":
		l, err := s.Manage.IdentityProviderLinks.Get(r.Context(), scope(r), providerID, providerUserID, userID)
		s.answer(w, r, err, map[string]any{"identityProviderLink": l})
	case userID != "":
		ls, err := s.Manage.IdentityProviderLinks.List(r.Context(), scope(r), providerID, userID)
		s.answer(w, r, err, map[string]any{"identityProviderLinks": ls})
	default:
		writeFieldError(w, "blank", "userId", "Give the [userId], or the [identityProviderId] and [identityProviderUserId].")
	}
}

// getPendingLink handles GET /api/identity-provider/link/pending/{id}
// (links.mdx "Retrieve a Pending Link", TS retrievePendingLink):
// {"pendingIdPLink":{...}}, with "linkCount" when userId names a user of
// its tenant and "identityProviderTenantConfiguration" when the provider
// has one for the pending link's tenant (its link limit); 404 for an id
// that is unknown, expired, used or another tenant's.
func (s *Server) getPendingLink(w http.ResponseWriter, r *http.Request) {
	userID := queryValue(r, "userId")
	if !optionalID(w, "userId", userID) {
		return
	}
	out, err := s.Manage.IdentityProviderLinks.Pending(r.Context(), scope(r), r.PathValue("id"), userID)
	s.answer(w, r, err, out)
}

// unlinkUser handles DELETE /api/identity-provider/link (links.mdx "Unlink
// a User", TS deleteUserLink): identityProviderId, identityProviderUserId
// and userId are all required; 200 with no body, 404 when that user has
// no such link.
func (s *Server) unlinkUser(w http.ResponseWriter, r *http.Request) {
	providerID, providerUserID, userID := queryValue(r, "identityProviderId"), queryValue(r, "identityProviderUserId"), queryValue(r, "userId")
	var e Errors
	for _, f := range [...]struct{ name, v string }{{"identityProviderId", providerID}, {"identityProviderUserId", providerUserID}, {"userId", userID}} {
		switch {
		case f.v == "":
			e.Field("blank", f.name, "You must specify the ["+f.name+"] parameter.")
		case f.name != "identityProviderUserId" && !validUUID(f.v):
			e.Field("couldNotConvert", f.name, "Invalid ["+f.name+"] ["+truncate(f.v, 64)+"]. It must be a UUID.")
		}
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	s.answer(w, r, s.Manage.IdentityProviderLinks.Unlink(r.Context(), scope(r), providerID, providerUserID, userID), nil)
}

// searchIdentityProviders handles POST /api/identity-provider/search and
// its GET form (identity-providers/index.mdx "Search for Identity
// Providers", TS searchIdentityProviders, searchIdentityProvidersByParameters): {"search":{"name":"*up*","type":"OpenIDConnect",
// "applicationId":…,"tenantId":…,"orderBy":"name ASC","startRow":0,
// "numberOfResults":25}} answers {"identityProviders":[...],"total":n}, each
// provider as GET /api/identity-provider/{id} answers it but without its
// client secret.
func (s *Server) searchIdentityProviders(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			ApplicationID   string `json:"applicationId"`
			Name            string `json:"name"`
			TenantID        string `json:"tenantId"`
			Type            string `json:"type"`
			OrderBy         string `json:"orderBy"`
			StartRow        int    `json:"startRow"`
			NumberOfResults int    `json:"numberOfResults"`
		} `json:"search"`
	}
	if !s.readSearch(w, r, &req, &req.Search) {
		return
	}
	in := req.Search
	page, total, err := s.Manage.IdentityProviders.Search(r.Context(), manage.IdentityProviderSearch{ApplicationID: in.ApplicationID,
		Name: in.Name, TenantID: in.TenantID, Type: in.Type, OrderBy: in.OrderBy, StartRow: in.StartRow, NumberOfResults: in.NumberOfResults})
	s.answer(w, r, err, map[string]any{"identityProviders": page, "total": total})
}
