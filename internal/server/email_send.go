package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// sendEmail handles POST /api/email/send/{emailTemplateId} (emails.mdx
// "Send an Email"): the template rendered for each of userIds and
// toAddresses, with ccAddresses and bccAddresses on every message, and
// stored in the mail outbox before the answer. 202 with FusionAuth's
// SendResponse: {} when every message is queued, else the recipients whose
// email could not be rendered (results by user id, anonymousResults by
// address). 400 with field errors, nothing queued, for an unknown
// template, application or user (another tenant's user for a
// tenant-scoped key), an address that is not one bare address, or more
// than manage.MaxSendRecipients / manage.MaxSendCopies.
func (s *Server) sendEmail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "emailTemplateId", "emailTemplateId")
	if !ok {
		return
	}
	var req manage.SendRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	res, err := s.Manage.EmailSend.Send(r.Context(), scope(r), id, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}
